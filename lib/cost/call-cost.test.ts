import { describe, expect, test } from "vitest";
import { estimateCallCost } from "./call-cost";

describe("estimateCallCost", () => {
  test.each([
    ["an explicit estimate wins (seed 000 simulate body)", "cloud.ops", { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 }, 75, "argument"],
    ["cloud.ops args price from the catalog", "cloud.ops", { provider: "aws", resource: "ec2", action: "run_instances", units: 2 }, 60.736, "catalog"],
    ["count and instance_type are understood", "cloud.ops", { provider: "aws", action: "ec2.run_instances", count: 3, instance_type: "t3.micro" }, 22.776, "catalog"],
    ["numeric string units count", "cloud.ops", { provider: "gcp", action: "storage.objects.insert", units: "1000" }, 0.005, "catalog"],
    ["a negative explicit estimate is ignored and the call priced", "cloud.ops", { provider: "aws", action: "ec2.run_instances", estimated_cost_usd: -500 }, 30.368, "catalog"],
    ["an unknown action costs nothing", "cloud.ops", { provider: "aws", action: "quantum.entangle" }, 0, "none"],
    ["a filesystem write costs nothing", "fs.write", { path: "/sandbox/a", content: "x" }, 0, "none"],
    ["no arguments cost nothing", "fs.list", undefined, 0, "none"],
    ["the estimator itself is free", "cloud.estimate", { provider: "aws", action: "ec2.run_instances", units: 10 }, 0, "none"],
  ])("%s", (_label, tool, args, cost, source) => {
    const r = estimateCallCost(tool, args);
    expect(r.estimated_cost_usd).toBe(cost);
    expect(r.source).toBe(source);
    expect(r.matched).toBe(source !== "none");
  });

  test("explains an unusable explicit estimate", () => {
    const r = estimateCallCost("payments.charge", { estimated_cost_usd: "lots" });
    expect(r).toEqual({
      estimated_cost_usd: 0,
      source: "none",
      matched: false,
      note: 'estimated_cost_usd argument ignored: expected a number >= 0, got "lots"',
    });
  });

  test("carries the catalog estimate for the audit record", () => {
    const r = estimateCallCost("cloud.ops", { provider: "azure", action: "virtualMachines.create", vm_size: "Standard_B1s", units: 2 });
    expect(r.estimate).toMatchObject({ unit_price_usd: 7.592, units: 2, variant: "Standard_B1s", price_source: expect.stringContaining("azure virtualMachines.create Standard_B1s") });
  });
});
