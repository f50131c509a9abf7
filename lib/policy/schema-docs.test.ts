import { describe, expect, it } from "vitest";
import { ALLOWED_KEYS, policyJsonSchema } from "./schema";

/** The studio's hover docs come from the JSON Schema: every condition and rule key must carry one. */
type Node = { $ref?: string; description?: string; properties?: Record<string, Node>; items?: Node; $defs?: Record<string, Node> };

function resolve(root: Node, n: Node): Node {
  return n.$ref ? root.$defs![n.$ref.replace("#/$defs/", "")] : n;
}

describe("policyJsonSchema descriptions", () => {
  const root = policyJsonSchema() as Node;
  const rule = root.properties!.rules.items!;
  const conditions = resolve(root, rule.properties!.where);

  it.each(ALLOWED_KEYS.conditions.map((k) => [k]))("condition %s has hover documentation", (key) => {
    expect(conditions.properties![key]?.description ?? "").toMatch(/\w{3,}/);
  });

  it.each(["name", "match", "where", "action", "reason", "enabled", "unknown_cost", "required_approvals", "approver_group", "expires_in"].map((k) => [k]))(
    "rule key %s has hover documentation",
    (key) => {
      expect(rule.properties![key]?.description ?? "").toMatch(/\w{3,}/);
    },
  );

  it("a nested `not` block still points at the condition definitions", () => {
    expect(conditions.properties!.not.$ref).toBe(rule.properties!.where.$ref);
  });
});
