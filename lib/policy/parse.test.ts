import { describe, expect, it, test } from "vitest";
import { formatValidationError, parsePolicy, policyJsonSchema, validatePolicyObject } from "./index";

const VALID = `version: 1
defaults:
  decision: deny
rules:
  - name: r
    match: fs.read
    action: allow
`;

function errorsOf(text: string) {
  const r = parsePolicy(text);
  expect(r.ok).toBe(false);
  return r.errors;
}

describe("parsePolicy", () => {
  it("accepts a valid policy", () => {
    const r = parsePolicy(VALID);
    expect(r.errors).toEqual([]);
    expect(r.ok && r.policy.rules[0].name).toBe("r");
  });

  it("locates an unknown action at its line and column, naming the allowed values", () => {
    const errs = errorsOf(VALID.replace("action: allow", "action: aprove"));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ line: 7, column: 13, path: "rules[0].action" });
    expect(formatValidationError(errs[0])).toMatch(/^line 7, column 13: unknown action `aprove`; expected allow, deny or approval/);
    expect(errs[0].message).toContain("did you mean `approval`");
  });

  const cases: { label: string; text: string; line: number; column: number; path: string; message: RegExp }[] = [
    {
      label: "unknown condition key, with a suggestion",
      text: VALID.replace("    action: allow", "    where:\n      host_inn: [a.com]\n    action: allow"),
      line: 8, column: 7, path: "rules[0].where.host_inn",
      message: /unknown key `host_inn` in `rules\[0\]\.where`; did you mean `host_in`\?; expected method, host_in/,
    },
    {
      label: "unknown top-level key",
      text: VALID + "extra: 1\n",
      line: 8, column: 1, path: "extra",
      message: /unknown key `extra` at the top level; expected version, name, description, defaults, facts or rules/,
    },
    {
      label: "unknown rule key",
      text: VALID.replace("    action: allow", "    action: allow\n    reasn: x"),
      line: 8, column: 5, path: "rules[0].reasn",
      message: /unknown key `reasn`.*did you mean `reason`/,
    },
    {
      label: "missing action",
      text: VALID.replace("    action: allow\n", ""),
      line: 5, column: 5, path: "rules[0]",
      message: /missing required key `action` in `rules\[0\]`/,
    },
    {
      label: "missing rules",
      text: "version: 1\n",
      line: 1, column: 1, path: "",
      message: /missing required key `rules`/,
    },
    {
      label: "wrong type for required_approvals",
      text: VALID.replace("action: allow", "action: approval\n    required_approvals: two"),
      line: 8, column: 25, path: "rules[0].required_approvals",
      message: /`required_approvals` must be a number, got string `two`/,
    },
    {
      label: "approval fields on a deny rule",
      text: VALID.replace("action: allow", "action: deny\n    required_approvals: 2"),
      line: 8, column: 25, path: "rules[0].required_approvals",
      message: /only applies to `action: approval`/,
    },
    {
      label: "invalid regular expression",
      text: VALID.replace("    action: allow", "    where:\n      params:\n        name: { pattern: \"([a-z\" }\n    action: allow"),
      line: 9, column: 26, path: "rules[0].where.params.name.pattern",
      message: /not a valid regular expression/,
    },
    {
      label: "unknown time zone",
      text: VALID.replace("    action: allow", "    where:\n      time_window: { timezone: Mars/Olympus }\n    action: allow"),
      line: 8, column: 32, path: "rules[0].where.time_window.timezone",
      message: /IANA time zone/,
    },
    {
      label: "bad duration",
      text: VALID.replace("action: allow", "action: approval\n    expires_in: 1 hour"),
      line: 8, column: 17, path: "rules[0].expires_in",
      message: /duration like `90s`/,
    },
    {
      label: "relative jail path",
      text: VALID.replace("    action: allow", "    where:\n      path_under: [/ok, tmp]\n    action: allow"),
      line: 8, column: 25, path: "rules[0].where.path_under[1]",
      message: /absolute path/,
    },
    {
      label: "bad element in a match list",
      text: VALID.replace("match: fs.read", "match: [fs.read, 'fs read']"),
      line: 6, column: 22, path: "rules[0].match[1]",
      message: /tool patterns use letters/,
    },
    {
      label: "a resource rule asking for approval",
      text: VALID.replace("match: fs.read", "kind: resource\n    match: 'file:///docs/*'").replace("action: allow", "action: approval"),
      line: 8, column: 13, path: "rules[0].action",
      message: /`approval` is not supported for kind: resource rules/,
    },
    {
      label: "a resource pattern with a space",
      text: VALID.replace("match: fs.read", "kind: resource\n    match: 'file:///my docs/*'"),
      line: 7, column: 12, path: "rules[0].match",
      message: /resource patterns are URIs or URI globs/,
    },
    {
      label: "a prompt pattern with a space",
      text: VALID.replace("match: fs.read", "kind: prompt\n    match: [ok, 'two words']"),
      line: 7, column: 17, path: "rules[0].match[1]",
      message: /prompt patterns use letters/,
    },
    {
      label: "an unknown kind",
      text: VALID.replace("match: fs.read", "kind: resources\n    match: fs.read"),
      line: 6, column: 11, path: "rules[0].kind",
      message: /tool, resource|resource/,
    },
    {
      label: "duplicate rule names",
      text: VALID + "  - name: r\n    match: fs.list\n    action: deny\n",
      line: 8, column: 11, path: "rules[1].name",
      message: /duplicate rule name `r` \(also rules\[0\]\)/,
    },
    {
      label: "unknown day",
      text: VALID.replace("    action: allow", "    where:\n      time_window: { days: [mon, funday] }\n    action: allow"),
      line: 8, column: 34, path: "rules[0].where.time_window.days[1]",
      message: /days are 1–7/,
    },
    {
      label: "unknown key inside not",
      text: VALID.replace("    action: allow", "    where:\n      not: { tenant: [x] }\n    action: allow"),
      line: 8, column: 14, path: "rules[0].where.not.tenant",
      message: /unknown key `tenant`/,
    },
    {
      label: "unsupported version",
      text: VALID.replace("version: 1", "version: 3"),
      line: 1, column: 10, path: "version",
      message: /unsupported version `3`; expected 1/,
    },
    {
      label: "YAML syntax error",
      text: "version: 1\nrules: [\n",
      line: 3, column: 1, path: "",
      message: /^YAML syntax/,
    },
    {
      label: "duplicate YAML key",
      text: VALID + "version: 1\n",
      line: 8, column: 1, path: "",
      message: /YAML syntax: Map keys must be unique/,
    },
    {
      label: "AegisMCP v2 file",
      text: "version: 2\nrules:\n  - match: '*'\n    decision: review\n",
      line: 1, column: 1, path: "",
      message: /AegisMCP v2 policy; convert it with `canopy policy migrate FILE`/,
    },
    {
      label: "TailOps file",
      text: "policies:\n  deny_by_default: true\n  global_policies: []\n",
      line: 1, column: 1, path: "",
      message: /TailOps v2/,
    },
    {
      label: "a list instead of a mapping",
      text: "- a\n- b\n",
      line: 1, column: 1, path: "",
      message: /must be a mapping/,
    },
    { label: "empty text", text: "", line: 1, column: 1, path: "", message: /policy is empty/ },
  ];
  test.each(cases)("reports $label", ({ text, line, column, path, message }) => {
    const errs = errorsOf(text);
    const hit = errs.find((e) => message.test(e.message));
    expect(hit, JSON.stringify(errs)).toBeDefined();
    expect(hit).toMatchObject({ line, column, path });
  });

  it("rejects non-string and oversized input without throwing", () => {
    expect(parsePolicy(undefined as unknown as string).errors[0].message).toMatch(/YAML text/);
    expect(parsePolicy({} as unknown as string).ok).toBe(false);
    expect(parsePolicy("#".repeat(3 * 1024 * 1024)).errors[0].message).toMatch(/larger than/);
  });

  it("survives an alias bomb", () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n`;
    const r = parsePolicy(bomb);
    expect(r.ok).toBe(false);
    expect(r.errors.length).toBeGreaterThan(0);
  });

  it("seed 001's `where:` with only a comment under it means no conditions", async () => {
    const text = 'version: 1\ndefaults:\n  decision: deny\nrules:\n  - name: "Rule name"\n    match: "tool.name"\n    where:\n      # conditions\n    action: allow\n    reason: "Human-readable explanation"\n';
    const r = parsePolicy(text);
    expect(r.errors).toEqual([]);
    if (!r.ok) return;
    const { compilePolicy, evaluate } = await import("./index");
    const d = evaluate({ tool: "tool.name", arguments: { anything: 1 } }, compilePolicy(r.policy), { now: new Date(0) });
    expect(d).toMatchObject({ decision: "allow", rule: "Rule name" });
  });

  it("validates plain objects (JSON input) too", () => {
    expect(validatePolicyObject({ version: 1, rules: [] }).ok).toBe(true);
    const r = validatePolicyObject({ version: 1, rules: [{ name: "x", match: "a", action: "nope" }] });
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toMatchObject({ path: "rules[0].action", line: 0 });
  });
});

describe("policyJsonSchema", () => {
  it("describes the language for the editor", () => {
    const s = policyJsonSchema() as { type: string; required: string[]; properties: Record<string, unknown>; additionalProperties: boolean };
    expect(s.type).toBe("object");
    expect(s.required).toEqual(expect.arrayContaining(["version", "rules"]));
    expect(s.additionalProperties).toBe(false);
    const json = JSON.stringify(s);
    for (const k of ["path_not_under", "host_in", "estimated_cost_usd_over", "time_window", "approver_group", "allowlist"]) expect(json).toContain(k);
    expect(json).toContain('"enum":["allow","deny","approval"]');
  });
});
