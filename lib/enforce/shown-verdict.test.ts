import { describe, expect, test } from "vitest";
import { Redactor, redactionConfig } from "@/lib/audit/redact";
import { toToolResult } from "@/lib/mcp/endpoint";
import { loadPolicy } from "@/lib/policy";
import type { EnforceDeps } from "./deps";
import { checkCall } from "./pipeline";
import { shownVerdict } from "./shown-verdict";
import type { GatewayCall, Principal } from "./types";

/** A verdict leaves the server (MCP `_meta.canopyiq`, guard answers) without the call's secrets, even where the policy trace echoes them. */

const POLICY = `
version: 1
defaults: { decision: deny, reason: "deny by default" }
rules:
  - name: known logins only
    match: db.login
    where:
      params:
        pwd: { allowlist: ["letmein-123"] }
    action: allow
  - name: internal hooks
    match: net.hook
    where:
      args:
        url: { regex: "^https://hooks\\\\.example/" }
    action: allow
`;

const agent: Principal = { kind: "token", tenant: "t1", subject: "agent-42", roles: ["agent"] };
const redactor = new Redactor("verdict-test-secret-0123456789", redactionConfig());
const SECRETS = /hunter2|s3cret|abc\.def\.ghi|AKIAIOSFODNN7EXAMPLE/;

function deps(): EnforceDeps {
  const compiled = loadPolicy(POLICY, { version: "1" });
  if (!compiled.ok) throw new Error("test policy does not compile");
  return {
    activePolicy: async () => ({ compiled: compiled.compiled, version: 1, hash: "h", signed: false, verified: false }),
    estimateCost: () => 0,
    now: () => new Date("2026-11-21T10:00:00Z"),
  } as unknown as EnforceDeps;
}

describe("the verdict shown to callers", () => {
  test.each<[string, GatewayCall]>([
    ["a params allowlist echoes the value", { tool: "db.login", arguments: { user: "bob", pwd: "hunter2" } }],
    ["an args condition shows the url", { tool: "net.hook", arguments: { url: "https://bob:s3cret@api.internal.com/x", headers: { Authorization: "Bearer abc.def.ghi" } } }],
    ["caller meta with a key id", { tool: "db.login", arguments: { pwd: "hunter2" }, meta: { note: "AKIAIOSFODNN7EXAMPLE" } }],
  ])("%s: the raw trace holds the secret, the shown verdict and the MCP result do not", async (_name, call) => {
    const raw = await checkCall(deps(), agent, call);
    expect(JSON.stringify(raw.trace)).toMatch(/hunter2|s3cret/);
    const shown = shownVerdict(agent, call, raw, redactor);
    expect(JSON.stringify(shown)).not.toMatch(SECRETS);
    expect(shown).toMatchObject({ decision: raw.decision, rule: raw.rule, reason: raw.reason, trace_id: raw.trace_id });
    expect(JSON.stringify(toToolResult({ verdict: shown }))).not.toMatch(SECRETS);
  });
});
