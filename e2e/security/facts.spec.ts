import { expect, test } from "@playwright/test";
import { mcpCall, newTenant, pinPolicy, probeCalls, token, verdictOf } from "./kit";

/**
 * Issue 9 item 10: only the first argument that supplied a host or a body was checked. Every
 * default and mapped argument now counts: the probe upstream maps `host: url` and `body: body`
 * for probe.http (playwright.config.ts), and `host` / `content` still count next to them.
 */

const POLICY = `version: 1
defaults: { decision: deny }
rules:
  - name: "bodies over 1 MiB are blocked"
    match: probe.http
    where: { body_bytes_over: 1048576 }
    action: deny
    reason: "Request body over 1 MiB"
  - name: "internal hosts"
    match: probe.http
    where: { host_in: [api.internal.com, "*.internal.com"] }
    action: allow
`;

test.describe("every argument that supplies a host or a body is checked (issue 9 item 10)", () => {
  test("url and host naming different hosts: denied naming both, nothing reaches the probe", async ({ request }) => {
    const tenant = await newTenant(request, "facts");
    await pinPolicy(request, tenant, POLICY);
    const agent = token(tenant, "agent-1", "agent");
    const before = (await probeCalls(request)).by_tool.http ?? 0;

    for (const [args, reason] of [
      [{ url: "http://api.internal.com/", host: "evil.com" }, "conflicting hosts: argument `url` names api.internal.com but `host` names evil.com; a call must name one destination host"],
      [{ url: "http://api.internal.com/", endpoint: "https://evil.com/x" }, "conflicting hosts: argument `url` names api.internal.com but `endpoint` names evil.com"],
      [{ host: "api.internal.com", uri: "http://api.internal.com@evil.com/" }, "conflicting hosts: argument `uri` names evil.com but `host` names api.internal.com"],
    ] as const) {
      const r = await mcpCall(request, agent, "probe.http", args);
      expect(r.status).toBe(200);
      expect(r.body.result?.isError).toBe(true);
      expect(verdictOf(r)).toMatchObject({ decision: "deny", rule: null });
      expect(verdictOf(r)!.reason).toContain(reason);
    }
    expect((await probeCalls(request)).by_tool.http ?? 0).toBe(before);

    // Two arguments naming the same host agree; the call runs.
    const same = await mcpCall(request, agent, "probe.http", { url: "http://api.internal.com/v1", host: "API.internal.com:443" });
    expect(verdictOf(same)).toMatchObject({ decision: "allow", rule: "internal hosts" });
    expect((await probeCalls(request)).by_tool.http ?? 0).toBe(before + 1);
  });

  test("a 1-byte body cannot hide a 1.1 MB content: the sizes add up, nothing reaches the probe", async ({ request }) => {
    const tenant = await newTenant(request, "facts");
    await pinPolicy(request, tenant, POLICY);
    const agent = token(tenant, "agent-1", "agent");
    const before = (await probeCalls(request)).by_tool.http ?? 0;

    const big = "x".repeat(1_100_000);
    for (const args of [
      { url: "http://api.internal.com/", body: "x", content: big },
      { url: "http://api.internal.com/", body: "x".repeat(600_000), data: "y".repeat(600_000) },
      { url: "http://api.internal.com/", payload: big },
    ]) {
      const r = await mcpCall(request, agent, "probe.http", args);
      expect(r.status).toBe(200);
      expect(verdictOf(r), Object.keys(args).join(",")).toMatchObject({ decision: "deny", rule: "bodies over 1 MiB are blocked", reason: "Request body over 1 MiB" });
    }
    expect((await probeCalls(request)).by_tool.http ?? 0).toBe(before);

    const small = await mcpCall(request, agent, "probe.http", { url: "http://api.internal.com/", body: "x", content: "y" });
    expect(verdictOf(small)).toMatchObject({ decision: "allow" });
    expect((await probeCalls(request)).by_tool.http ?? 0).toBe(before + 1);
  });
});
