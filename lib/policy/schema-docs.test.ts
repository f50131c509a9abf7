import { describe, expect, it } from "vitest";
import { ALLOWED_KEYS, policyJsonSchema } from "./schema";

/** The studio's hover docs come from the JSON Schema: every condition and rule key must carry one. */
type Node = { $ref?: string; description?: string; properties?: Record<string, Node>; items?: Node; $defs?: Record<string, Node>; anyOf?: Node[] };

/** The node a property refers to; a nullable one (`where:` may be left empty) is `anyOf: [{$ref}, {type: null}]`. */
function refOf(n: Node): string | undefined {
  return n.$ref ?? n.anyOf?.find((x) => x.$ref)?.$ref;
}

function resolve(root: Node, n: Node): Node {
  const ref = refOf(n);
  return ref ? root.$defs![ref.replace("#/$defs/", "")] : n;
}

describe("policyJsonSchema descriptions", () => {
  const root = policyJsonSchema() as Node;
  const rule = root.properties!.rules.items!;
  const conditions = resolve(root, rule.properties!.where);

  it.each(ALLOWED_KEYS.conditions.map((k) => [k]))("condition %s has hover documentation", (key) => {
    expect(conditions.properties![key]?.description ?? "").toMatch(/\w{3,}/);
  });

  it.each(["name", "kind", "match", "where", "action", "reason", "enabled", "unknown_cost", "required_approvals", "approver_group", "expires_in"].map((k) => [k]))(
    "rule key %s has hover documentation",
    (key) => {
      expect(rule.properties![key]?.description ?? "").toMatch(/\w{3,}/);
    },
  );

  it("a nested `not` block still points at the condition definitions", () => {
    expect(refOf(conditions.properties!.not)).toBe(refOf(rule.properties!.where));
  });
});
