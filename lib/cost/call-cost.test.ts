import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { estimateCallCost, isPricedCall } from "./call-cost";
import { CostInputError } from "./estimate";

describe("estimateCallCost", () => {
  test.each([
    ["a stated estimate above the catalog raises it (seed 000 simulate body)", "cloud.ops", { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 }, 75, "argument", true],
    ["a stated estimate below the catalog cannot lower it", "cloud.ops", { provider: "aws", action: "ec2.run_instances", estimated_cost_usd: 0 }, 30.368, "catalog", true],
    ["a stated numeric string below the catalog cannot lower it", "cloud.ops", { provider: "aws", action: "ec2.run_instances", estimated_cost_usd: "0.01" }, 30.368, "catalog", true],
    ["cloud.ops args price from the catalog", "cloud.ops", { provider: "aws", resource: "ec2", action: "run_instances", units: 2 }, 60.736, "catalog", true],
    ["count and instance_type are understood", "cloud.ops", { provider: "aws", action: "ec2.run_instances", count: 3, instance_type: "t3.micro" }, 22.776, "catalog", true],
    ["numeric string units count", "cloud.ops", { provider: "gcp", action: "storage.objects.insert", units: "1000" }, 0.005, "catalog", true],
    ["any tool carrying provider + action is priced", "probe.spend", { provider: "aws", action: "ec2.run_instances" }, 30.368, "catalog", true],
    ["an unknown action has an unknown cost", "cloud.ops", { provider: "aws", action: "quantum.entangle" }, 0, "unknown", false],
    ["a stated cost does not make an unknown action known", "cloud.ops", { provider: "aws", action: "quantum.entangle", estimated_cost_usd: 1 }, 0, "unknown", false],
    ["a cloud tool naming no action has an unknown cost", "cloud.ops", { estimated_cost_usd: 3 }, 0, "unknown", false],
    ["an unknown provider carried by any tool", "probe.spend", { provider: "oracle", action: "compute.launch" }, 0, "unknown", false],
    ["a filesystem write costs nothing", "fs.write", { path: "/sandbox/a", content: "x" }, 0, "none", true],
    ["an unpriced tool costs what it states", "probe.spend", { estimated_cost_usd: 4.5 }, 4.5, "argument", true],
    ["no arguments cost nothing", "fs.list", undefined, 0, "none", true],
    ["net.http is not priced", "net.http", { url: "https://x", method: "POST" }, 0, "none", true],
    ["the estimator itself is free", "cloud.estimate", { provider: "aws", action: "ec2.run_instances", units: 10 }, 0, "none", true],
  ])("%s", (_label, tool, args, cost, source, known) => {
    const r = estimateCallCost(tool, args);
    expect(r.estimated_cost_usd).toBe(cost);
    expect(r.source).toBe(source);
    expect(r.known).toBe(known);
    if (!known) expect(r.note).toMatch(/^cost unknown: /);
  });

  test("an unknown action says what the catalog lacks", () => {
    expect(estimateCallCost("cloud.ops", { provider: "aws", action: "quantum.entangle" }).note).toBe("cost unknown: the catalog has no entry for aws quantum.entangle");
    expect(estimateCallCost("cloud.ops", { provider: "aws" }).note).toBe("cost unknown: cloud.ops is a cloud operation but names no action to price");
  });

  test.each([
    ["a negative stated cost", { estimated_cost_usd: -5 }, /`estimated_cost_usd` must not be negative, got -5/],
    ["an infinite stated cost (JSON 1e309)", { estimated_cost_usd: JSON.parse("1e309") as number }, /must be a finite number, got Infinity/],
    ["a numeric string too large to be finite", { estimated_cost_usd: "9".repeat(400) }, /must be a finite number/],
    ["a non-numeric stated cost", { estimated_cost_usd: "cheap" }, /must be a number, got "cheap"/],
    ["a stated cost as a list", { estimated_cost_usd: [1] }, /must be a number, got a list/],
    ["negative units", { provider: "aws", action: "ec2.run_instances", units: -3 }, /units must not be negative/],
    ["non-numeric units", { provider: "aws", action: "ec2.run_instances", count: "lots" }, /count must be a number/],
  ])("%s is invalid input", (_label, args, message) => {
    expect(() => estimateCallCost("cloud.ops", args)).toThrow(CostInputError);
    expect(() => estimateCallCost("cloud.ops", args)).toThrow(message);
  });

  test("carries the catalog estimate for the audit record", () => {
    const r = estimateCallCost("cloud.ops", { provider: "azure", action: "virtualMachines.create", vm_size: "Standard_B1s", units: 2 });
    expect(r.estimate).toMatchObject({ unit_price_usd: 7.592, units: 2, variant: "Standard_B1s", price_source: expect.stringContaining("azure virtualMachines.create Standard_B1s") });
  });

  test("the catalog price is a floor: for any stated cost, the result is the larger of the two", () => {
    const catalog = estimateCallCost("cloud.ops", { provider: "aws", action: "rds.create_db_instance" }).estimated_cost_usd;
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (stated) => {
        const r = estimateCallCost("cloud.ops", { provider: "aws", action: "rds.create_db_instance", estimated_cost_usd: stated });
        expect(r.known).toBe(true);
        expect(r.estimated_cost_usd).toBeGreaterThanOrEqual(catalog);
        expect(r.estimated_cost_usd).toBeCloseTo(Math.max(catalog, stated), 5);
      }),
    );
  });
});

describe("isPricedCall", () => {
  test.each([
    ["cloud.ops", {}, true],
    ["cloud.anything", undefined, true],
    ["cloud.estimate", { provider: "aws", action: "ec2.run_instances" }, false],
    ["probe.spend", { provider: "aws", action: "x" }, true],
    ["probe.spend", { provider: "aws" }, false],
    ["probe.spend", { provider: "", action: "x" }, false],
    ["fs.write", { path: "/a" }, false],
    ["net.http", { url: "https://a" }, false],
  ] as const)("%s %j → %s", (tool, args, priced) => {
    expect(isPricedCall(tool, args as Record<string, unknown> | undefined)).toBe(priced);
  });
});
