import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { diffPolicies, parsePolicy, patternCovers, patternsOverlap, type Policy } from "./index";

function policy(yaml: string): Policy {
  const r = parsePolicy(yaml);
  if (!r.ok) throw new Error(`bad test policy: ${JSON.stringify(r.errors)}`);
  return r.policy;
}

const BASE = `version: 1
defaults: { decision: deny }
rules:
  - name: "Deny system paths"
    match: "fs.*"
    where: { path_under: ["/etc", "/usr"] }
    action: deny
  - name: "Dual control writes"
    match: "fs.write"
    where: { path_not_under: ["/sandbox"] }
    action: approval
    approver_group: secops
    required_approvals: 2
  - name: "Sandbox reads"
    match: ["fs.read", "fs.list"]
    where: { path_under: ["/sandbox"] }
    action: allow
  - name: "Internal GETs"
    match: "net.http"
    where: { method: GET, host_in: ["api.internal.com"] }
    action: allow
  - name: "Big bodies"
    match: "net.http"
    where: { body_bytes_over: 1000 }
    action: deny
`;

/** Replaces one line of BASE (exact text) with another; `null` deletes it. */
function edit(...pairs: [string, string | null][]): string {
  let y = BASE;
  for (const [from, to] of pairs) {
    if (!y.includes(from)) throw new Error(`edit: ${from} not in BASE`);
    y = y.replace(from, to ?? "");
  }
  return y;
}

const base = policy(BASE);

describe("diffPolicies: golden table", () => {
  test.each([
    {
      label: "identical policies",
      yaml: BASE,
      level: "low",
      kinds: [],
      headline: "No changes: LOW risk — the proposed policy is equivalent to the current one",
    },
    {
      label: "a single pattern written as a list is not a change",
      yaml: edit(['match: "fs.write"', 'match: ["fs.write"]']),
      level: "low",
      kinds: [],
    },
    {
      label: "allow rule broadened to a glob without conditions",
      yaml: edit(['match: ["fs.read", "fs.list"]\n    where: { path_under: ["/sandbox"] }', 'match: "fs.*"']),
      level: "high",
      kinds: [["modified", "Sandbox reads", ["match", "where"]]],
      headline: '1 rule changed: HIGH risk — rule "Sandbox reads" now allows fs.* without conditions',
    },
    {
      label: "allow rule added for every tool",
      yaml: `${BASE}  - name: "YOLO"\n    match: "*"\n    action: allow\n`,
      level: "critical",
      kinds: [["added", "YOLO"]],
      headline: '1 rule added: CRITICAL risk — rule "YOLO" now allows every tool without conditions',
    },
    {
      label: "deny rule turned into allow",
      yaml: edit(["    where: { body_bytes_over: 1000 }\n    action: deny", "    where: { body_bytes_over: 1000 }\n    action: allow"]),
      level: "critical",
      kinds: [["modified", "Big bodies", ["action"]]],
      reason: /rule "Big bodies" now allows net.http \(was deny\)/,
    },
    {
      label: "approval rule turned into allow",
      yaml: edit(["    action: approval\n    approver_group: secops\n    required_approvals: 2\n", "    action: allow\n"]),
      level: "high",
      kinds: [["modified", "Dual control writes", ["action", "required_approvals", "approver_group", "expires_in"]]],
      reason: /now allows fs.write \(was approval\)/,
    },
    {
      label: "deny rule removed",
      yaml: edit(['  - name: "Big bodies"\n    match: "net.http"\n    where: { body_bytes_over: 1000 }\n    action: deny\n', null]),
      level: "high",
      kinds: [["removed", "Big bodies"]],
      headline: /^1 rule removed: HIGH risk — deny rule "Big bodies" removed/,
    },
    {
      label: "deny rule disabled",
      yaml: edit(["    where: { body_bytes_over: 1000 }\n    action: deny", "    where: { body_bytes_over: 1000 }\n    action: deny\n    enabled: false"]),
      level: "high",
      kinds: [["modified", "Big bodies", ["enabled"]]],
      reason: /rule "Big bodies" disabled/,
    },
    {
      label: "dual control lowered to one approver",
      yaml: edit(["required_approvals: 2", "required_approvals: 1"]),
      level: "high",
      kinds: [["modified", "Dual control writes", ["required_approvals"]]],
      reason: /no longer needs dual control \(required_approvals 2 → 1\)/,
    },
    {
      label: "more approvers is tightening",
      yaml: edit(["required_approvals: 2", "required_approvals: 3"]),
      level: "low",
      kinds: [["modified", "Dual control writes", ["required_approvals"]]],
    },
    {
      label: "approver group changed",
      yaml: edit(["approver_group: secops", "approver_group: interns"]),
      level: "medium",
      kinds: [["modified", "Dual control writes", ["approver_group"]]],
    },
    {
      label: "default decision loosened to allow",
      yaml: edit(["defaults: { decision: deny }", "defaults: { decision: allow }"]),
      level: "critical",
      kinds: [],
      defaults: ["decision"],
      headline: "Default deny → allow: CRITICAL risk — default decision deny → allow: calls no rule matches are now allowed",
    },
    {
      label: "default decision deny → approval",
      yaml: edit(["defaults: { decision: deny }", "defaults: { decision: approval }"]),
      level: "medium",
      kinds: [],
      defaults: ["decision", "required_approvals", "expires_in"],
    },
    {
      label: "allow rule moved above the deny rule it overlaps",
      yaml: edit(
        ['  - name: "Sandbox reads"\n    match: ["fs.read", "fs.list"]\n    where: { path_under: ["/sandbox"] }\n    action: allow\n', null],
        ["rules:\n", 'rules:\n  - name: "Sandbox reads"\n    match: ["fs.read", "fs.list"]\n    where: { path_under: ["/sandbox"] }\n    action: allow\n'],
      ),
      level: "high",
      kinds: [["moved", "Sandbox reads"]],
      headline: '1 rule moved: HIGH risk — rule "Sandbox reads" (allow) now comes before "Deny system paths" (deny) and can shadow it',
    },
    {
      label: "deny rule moved to the top is tightening",
      yaml: edit(
        ['  - name: "Big bodies"\n    match: "net.http"\n    where: { body_bytes_over: 1000 }\n    action: deny\n', null],
        ["rules:\n", 'rules:\n  - name: "Big bodies"\n    match: "net.http"\n    where: { body_bytes_over: 1000 }\n    action: deny\n'],
      ),
      level: "low",
      kinds: [["moved", "Big bodies"]],
      headline: /^1 rule moved: LOW risk — rule "Big bodies" \(deny\) now takes precedence over "Internal GETs" \(allow\)/,
    },
    {
      label: "deny rule narrowed (threshold raised)",
      yaml: edit(["body_bytes_over: 1000", "body_bytes_over: 1000000"]),
      level: "medium",
      kinds: [["modified", "Big bodies", ["where"]]],
      reason: /deny rule "Big bodies" now catches fewer calls \(conditions narrowed: body_bytes_over\)/,
    },
    {
      label: "deny rule broadened (threshold lowered) is tightening",
      yaml: edit(["body_bytes_over: 1000", "body_bytes_over: 10"]),
      level: "low",
      kinds: [["modified", "Big bodies", ["where"]]],
    },
    {
      label: "allow rule host list widened",
      yaml: edit(['host_in: ["api.internal.com"]', 'host_in: ["api.internal.com", "*.example.com"]']),
      level: "medium",
      kinds: [["modified", "Internal GETs", ["where"]]],
      reason: /allow rule "Internal GETs" broadened \(conditions widened: host_in\)/,
    },
    {
      label: "allow rule path root widened to its parent",
      yaml: edit(['where: { path_under: ["/sandbox"] }', 'where: { path_under: ["/"] }']),
      level: "medium",
      kinds: [["modified", "Sandbox reads", ["where"]]],
    },
    {
      label: "allow rule condition added is tightening",
      yaml: edit(["where: { method: GET, host_in: [\"api.internal.com\"] }", "where: { method: GET, host_in: [\"api.internal.com\"], subject_in: [alice] }"]),
      level: "low",
      kinds: [["modified", "Internal GETs", ["where"]]],
    },
    {
      label: "approval rule lost its jail exception scope (path_not_under extended)",
      yaml: edit(['where: { path_not_under: ["/sandbox"] }', 'where: { path_not_under: ["/sandbox", "/home"] }']),
      level: "medium",
      kinds: [["modified", "Dual control writes", ["where"]]],
      reason: /approval rule "Dual control writes" now catches fewer calls/,
    },
    {
      label: "new deny rule is low risk",
      yaml: `${BASE}  - name: "No exports"\n    match: "users.export"\n    action: deny\n`,
      level: "low",
      kinds: [["added", "No exports"]],
      headline: '1 rule added: LOW risk — new deny rule "No exports" for users.export',
    },
    {
      label: "new conditioned allow rule is medium",
      yaml: `${BASE}  - name: "Tmp writes"\n    match: "fs.write"\n    where: { path_under: ["/tmp"] }\n    action: allow\n`,
      level: "medium",
      kinds: [["added", "Tmp writes"]],
    },
    {
      label: "rename only",
      yaml: edit(['name: "Big bodies"', 'name: "Large bodies"']),
      level: "low",
      kinds: [["modified", "Large bodies", ["name"]]],
    },
    {
      label: "reason reworded",
      yaml: edit(["    where: { body_bytes_over: 1000 }\n    action: deny", "    where: { body_bytes_over: 1000 }\n    action: deny\n    reason: too big"]),
      level: "low",
      kinds: [["modified", "Big bodies", ["reason"]]],
    },
  ])("$label", ({ yaml, level, kinds, headline, reason, defaults }: {
    yaml: string;
    level: string;
    kinds: (string | string[])[][];
    headline?: string | RegExp;
    reason?: RegExp;
    defaults?: string[];
  }) => {
    const d = diffPolicies(base, policy(yaml));
    expect(d.risk.level).toBe(level);
    expect(d.rule_changes.map((c) => (c.fields_changed ? [c.kind, c.name, c.fields_changed] : [c.kind, c.name]))).toEqual(kinds);
    if (headline instanceof RegExp) expect(d.headline).toMatch(headline);
    else if (headline) expect(d.headline).toBe(headline);
    if (reason) expect(d.risk.reasons.join("\n")).toMatch(reason);
    if (defaults) expect(d.defaults_changed?.fields_changed).toEqual(defaults);
    else expect(d.defaults_changed).toBeUndefined();
    expect(d.risk.score).toBeGreaterThanOrEqual(0);
    expect(d.risk.score).toBeLessThanOrEqual(100);
    expect(d.headline).toContain(`${level.toUpperCase()} risk`);
  });
});

describe("diffPolicies: shape and headline", () => {
  test("the brief's example headline: 2 changed, 1 added, HIGH", () => {
    const yaml = edit(
      ['match: ["fs.read", "fs.list"]\n    where: { path_under: ["/sandbox"] }', 'match: "fs.*"'],
      ["body_bytes_over: 1000", "body_bytes_over: 10"],
    ) + '  - name: "Tmp writes"\n    match: "fs.write"\n    where: { path_under: ["/tmp"] }\n    action: allow\n';
    const d = diffPolicies(base, policy(yaml));
    expect(d.headline).toBe('2 rules changed, 1 added: HIGH risk — rule "Sandbox reads" now allows fs.* without conditions');
    expect(d.risk.reasons[0]).toBe('rule "Sandbox reads" now allows fs.* without conditions');
    const modified = d.rule_changes.find((c) => c.name === "Sandbox reads");
    expect(modified).toMatchObject({ kind: "modified", effect: "loosens", before: { match: ["fs.read", "fs.list"] }, after: { match: "fs.*" } });
    const added = d.rule_changes.find((c) => c.kind === "added");
    expect(added).toMatchObject({ name: "Tmp writes", to_index: 5, effect: "loosens" });
  });

  test("removed rules carry their old index; moved ones both indexes", () => {
    const yaml = edit(
      ['  - name: "Big bodies"\n    match: "net.http"\n    where: { body_bytes_over: 1000 }\n    action: deny\n', null],
      ['  - name: "Deny system paths"\n    match: "fs.*"\n    where: { path_under: ["/etc", "/usr"] }\n    action: deny\n', null],
    ) + '  - name: "Deny system paths"\n    match: "fs.*"\n    where: { path_under: ["/etc", "/usr"] }\n    action: deny\n';
    const d = diffPolicies(base, policy(yaml));
    expect(d.rule_changes).toEqual([
      { kind: "moved", name: "Deny system paths", from_index: 0, to_index: 3, effect: "loosens" },
      expect.objectContaining({ kind: "removed", name: "Big bodies", from_index: 4 }),
    ]);
    // the deny rule moved below the sandbox allow for fs.read/list it overlaps: shadowed now
    expect(d.risk.reasons.join("\n")).toMatch(/"Sandbox reads" \(allow\) now comes before "Deny system paths" \(deny\)/);
    expect(d.headline).toMatch(/^1 rule moved, 1 removed: HIGH risk/);
  });

  test("samples.yaml against itself and against a loosened copy", () => {
    const samples = readFileSync("policies/samples.yaml", "utf8");
    const s = policy(samples);
    expect(diffPolicies(s, s).rule_changes).toEqual([]);
    const loosened = policy(samples.replace("required_approvals: 2", "required_approvals: 1").replace("  decision: deny\n", "  decision: allow\n"));
    const d = diffPolicies(s, loosened);
    expect(d.risk.level).toBe("critical");
    expect(d.defaults_changed).toMatchObject({ before: { decision: "deny" }, after: { decision: "allow" }, effect: "loosens" });
    expect(d.risk.reasons).toHaveLength(2);
    expect(d.risk.score).toBe(80);
  });

  test("facts changes are flagged", () => {
    const d = diffPolicies(base, policy(BASE.replace("rules:\n", 'facts:\n  "fs.move": { path: [source] }\nrules:\n')));
    expect(d.facts_changed).toBe(true);
    expect(d.risk.level).toBe("medium");
    expect(d.headline).toMatch(/^Fact sources changed: MEDIUM risk/);
  });

  test("unknown_cost changes are flagged, loosening ones as such", () => {
    const cost = `version: 1
defaults: { decision: deny }
rules:
  - { name: costly, match: "cloud.*", where: { estimated_cost_usd_over: 10 }, action: approval }
`;
    const defaultsAllow = diffPolicies(policy(cost), policy(cost.replace("{ decision: deny }", "{ decision: deny, unknown_cost: allow }")));
    expect(defaultsAllow.defaults_changed).toMatchObject({ fields_changed: ["unknown_cost"], effect: "loosens" });
    expect(defaultsAllow.risk.reasons.join("\n")).toMatch(/defaults.unknown_cost \(unset\) → allow: cost rules and budgets now admit calls of unknown cost/);
    const ruleDeny = diffPolicies(policy(cost), policy(cost.replace("action: approval }", "action: approval, unknown_cost: deny }")));
    expect(ruleDeny.rule_changes).toMatchObject([{ kind: "modified", name: "costly", effect: "tightens" }]);
    expect(ruleDeny.risk.reasons.join("\n")).toMatch(/rule "costly" now decides deny for calls of unknown cost \(was approval\)/);
  });
});

describe("pattern coverage", () => {
  test.each([
    ["*", "fs.write", true],
    ["fs.*", "fs.write", true],
    ["fs.*", "fs.w*", true],
    ["fs.w*", "fs.*", false],
    ["fs.write", "fs.write", true],
    ["fs.write", "fs.read", false],
    ["fs.?rite", "fs.write", true],
    ["fs.?rite", "fs.*", false],
  ])("%s covers %s: %s", (a, b, want) => expect(patternCovers(a, b)).toBe(want));

  test.each([
    ["fs.*", "fs.write", true],
    ["fs.*", "net.*", false],
    ["fs.*", "fs.w*", true],
    ["*", "net.http", true],
    ["net.http", "fs.read", false],
  ])("%s overlaps %s: %s", (a, b, want) => expect(patternsOverlap(a, b)).toBe(want));
});
