import { describe, expect, test } from "vitest";
import { defaultCatalog, indexCatalog } from "./catalog";
import { CostInputError, estimateCost } from "./estimate";

describe("estimateCost", () => {
  test.each([
    ["seed 000: 10 EC2 instances at the default size", { provider: "aws", action: "ec2.run_instances", units: 10 }, 303.68, 30.368, "t3.medium"],
    ["a listed size prices that size", { provider: "aws", action: "ec2.run_instances", units: 2, variant: "m5.large" }, 140.16, 70.08, "m5.large"],
    ["an unlisted size falls back to the base price", { provider: "aws", action: "ec2.run_instances", units: 1, variant: "x9.huge" }, 30.368, 30.368, "x9.huge"],
    ["s3 requests are micro-priced", { provider: "aws", action: "s3.put_object", units: 1000 }, 0.005, 0.000005, null],
    ["resource + action join", { provider: "aws", resource: "lambda", action: "invoke", units: 1_000_000 }, 0.41, 0.00000041, null],
    ["gcp compute", { provider: "gcp", action: "compute.instances.insert", units: 3 }, 73.38, 24.46, "e2-medium"],
    ["gcp storage", { provider: "gcp", action: "storage.objects.insert", units: 10 }, 0.00005, 0.000005, null],
    ["azure, case-insensitive", { provider: "Azure", action: "VIRTUALMACHINES.CREATE", units: 1, variant: "Standard_D2s_v5" }, 70.08, 70.08, "Standard_D2s_v5"],
    ["an alias", { provider: "aws", action: "elb.create_load_balancer" }, 16.43, 16.43, null],
    ["units default to one", { provider: "aws", action: "rds.create_db_instance" }, 49.64, 49.64, "db.t3.medium"],
    ["zero units cost nothing", { provider: "aws", action: "ec2.run_instances", units: 0 }, 0, 30.368, "t3.medium"],
  ])("%s", (_label, input, cost, unitPrice, variant) => {
    const e = estimateCost(input);
    expect(e).toMatchObject({ estimated_cost_usd: cost, unit_price_usd: unitPrice, currency: "USD", matched: true, variant });
    expect(e.price_source).toMatch(/^catalog 2026-11: /);
  });

  test("an unknown action is unmatched and free, saying what was looked up", () => {
    expect(estimateCost({ provider: "aws", action: "quantum.entangle", units: 5 })).toEqual({
      estimated_cost_usd: 0,
      currency: "USD",
      unit_price_usd: 0,
      units: 5,
      unit: null,
      provider: "aws",
      action: "quantum.entangle",
      variant: null,
      price_source: "catalog 2026-11: no entry for aws quantum.entangle",
      matched: false,
    });
  });

  test.each([
    ["negative", -1],
    ["not finite", Infinity],
    ["not a number", "10" as unknown as number],
  ])("units %s are refused", (_label, units) => {
    expect(() => estimateCost({ provider: "aws", action: "ec2.run_instances", units })).toThrow(CostInputError);
  });
});

describe("catalog", () => {
  test("covers the three providers and the seed's actions", () => {
    for (const [provider, action] of [
      ["aws", "ec2.run_instances"],
      ["aws", "s3.put_object"],
      ["aws", "lambda.invoke"],
      ["aws", "rds.create_db_instance"],
      ["gcp", "compute.instances.insert"],
      ["gcp", "storage.objects.insert"],
      ["azure", "virtualMachines.create"],
    ]) {
      expect(defaultCatalog.find(provider, action), `${provider} ${action}`).toBeDefined();
    }
  });

  test.each([
    ["a negative price", { provider: "aws", action: "x.y", unit: "u", unit_price_usd: -1 }, /items\.0\.unit_price_usd/],
    ["an unknown provider", { provider: "ibm", action: "x.y", unit: "u", unit_price_usd: 1 }, /items\.0\.provider/],
  ])("a catalog with %s is refused with its path", (_label, item, message) => {
    expect(() => indexCatalog({ version: "t", currency: "USD", note: "", items: [item] })).toThrow(message);
  });

  test("a duplicate action (or alias) is refused", () => {
    const item = { provider: "aws", action: "x.y", unit: "u", unit_price_usd: 1 };
    expect(() => indexCatalog({ version: "t", currency: "USD", note: "", items: [item, { ...item, action: "X.Y" }] })).toThrow(/aws X.Y is listed twice/);
  });
});
