import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "./policy-api";
import { approximateReasons, callKey, hasRedaction, readsCallerRoles, recordedCases, stableJson } from "./sim-cases";

function record(over: Partial<AuditRecord>): AuditRecord {
  return { seq: 1, ts: "2026-05-01T10:00:00.000Z", kind: "tool_decision", trace_id: "t1", subject: "agent-1", tool: "fs.write", args: { path: "/tmp/a" }, decision: "allow", rule: "r", reason: "ok", policy_version: 3, data: {}, ...over };
}

describe("hasRedaction", () => {
  it.each([
    ["plain arguments", { path: "/tmp/a", n: 1 }, false],
    ["a value redacted by key", { token: { redacted: true, hmac: "ab" } }, true],
    ["a secret redacted inside a string", { body: "Authorization: [redacted:bearer:1f2e]" }, true],
    ["a redaction deep in a list", { items: [{ a: 1 }, { b: ["x", { redacted: true }] }] }, true],
    ["the word redacted as data", { note: "redacted", redacted: "yes" }, false],
    ["null and numbers", { a: null, b: 2 }, false],
  ])("%s", (_label, args, expected) => {
    expect(hasRedaction(args)).toBe(expected);
  });
});

describe("recordedCases", () => {
  it("turns tool decisions into simulate calls at their own time, as their subject, with no roles", () => {
    const [c] = recordedCases([record({ seq: 7 })]);
    expect(c).toMatchObject({
      id: "rec:7",
      source: "recorded",
      call: { tool: "fs.write", arguments: { path: "/tmp/a" }, subject: "agent-1", roles: [], at: "2026-05-01T10:00:00.000Z" },
      rolesKnown: false,
      redacted: false,
      argsMissing: false,
      recorded: { seq: 7, decision: "allow", policy_version: 3 },
    });
  });

  it("skips other kinds, records without a tool and the repeat written after an approval wait; keeps at most `limit`", () => {
    const rows = [
      record({ seq: 1, kind: "login", tool: null }),
      record({ seq: 2, tool: null }),
      record({ seq: 3, data: { after_wait: true } }),
      record({ seq: 4 }),
      record({ seq: 5 }),
      record({ seq: 6 }),
    ];
    expect(recordedCases(rows).map((c) => c.id)).toEqual(["rec:4", "rec:5", "rec:6"]);
    expect(recordedCases(rows, 2).map((c) => c.id)).toEqual(["rec:4", "rec:5"]);
  });

  it("uses roles when a record carries them, and flags missing or redacted arguments", () => {
    const [withRoles, refused, redacted] = recordedCases([
      record({ seq: 1, data: { roles: ["agent", "ops"] } }),
      record({ seq: 2, args: null, data: { refused: "arguments_too_large" } }),
      record({ seq: 3, args: { key: { redacted: true, hmac: "x" } } }),
    ]);
    expect(withRoles).toMatchObject({ rolesKnown: true, call: { roles: ["agent", "ops"] } });
    expect(refused).toMatchObject({ argsMissing: true, call: { arguments: {} } });
    expect(redacted.redacted).toBe(true);
  });
});

describe("approximateReasons", () => {
  const [plain, redacted] = recordedCases([record({ seq: 1 }), record({ seq: 2, args: { key: "[redacted:aws:ab12]" } })]);
  const roles = "rules:\n  - name: a\n    match: '*'\n    where: { roles_any: [ops] }\n    action: allow\n";
  const noRoles = "rules:\n  - name: a\n    match: '*'\n    action: allow\n";

  it.each([
    ["no policy reads roles", plain, [noRoles, noRoles], []],
    ["the draft reads roles, roles unknown", plain, [roles, noRoles], ["roles_unknown"]],
    ["the active policy reads roles", plain, [noRoles, roles], ["roles_unknown"]],
    ["redacted arguments", redacted, [noRoles, null], ["redacted"]],
  ] as const)("%s", (_label, c, texts, expected) => {
    expect(approximateReasons(c, texts)).toEqual(expected);
  });

  it("readsCallerRoles finds the condition, not the word in a reason", () => {
    expect(readsCallerRoles("where: {roles_any: [a]}")).toBe(true);
    expect(readsCallerRoles('    "roles_any": ["a"]')).toBe(true);
    expect(readsCallerRoles("reason: callers with roles_anything")).toBe(false);
    expect(readsCallerRoles(null)).toBe(false);
  });
});

describe("callKey", () => {
  it("is the same for the same call whatever the key order, and differs when anything differs", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })), fc.string({ minLength: 1, maxLength: 8 }), (args, tool) => {
        const reversed = Object.fromEntries(Object.entries(args).reverse());
        expect(callKey({ tool, arguments: args })).toBe(callKey({ tool, arguments: reversed }));
        expect(callKey({ tool, arguments: args })).not.toBe(callKey({ tool: `${tool}x`, arguments: args }));
      }),
    );
    expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
  });
});
