import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type APIRequestContext, expect, request as playwrightRequest, test } from "@playwright/test";
import { E2E_DATA_DIR, E2E_PORT, E2E_SLACK_ENV, E2E_UPSTREAMS_PATH } from "./constants";
import { auditRecords } from "./security/http-kit";
import { bearer, mcpCall, newTenant, pinPolicy, probeCalls, putMember, signedVote, slackApiCalls, slackClick, token, verdictOf } from "./security/kit";
import { sseMessages } from "../lib/mcp/relay/testing";

/**
 * Issue 17: two production app processes on one Postgres and one Redis. Replica A is the suite's
 * server (playwright.config.ts); replica B is started here from the same build with the same data
 * folder (the same shared keys), on its own port. Each check acts on one replica and observes on the
 * other. PGlite and the in-process KV are single-process by design: without DATABASE_URL and
 * REDIS_URL there is nothing to share, and the suite says so.
 */
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const B_PORT = E2E_PORT + 3;
const B = `http://127.0.0.1:${B_PORT}`;

const POLICY = `version: 1
defaults: { decision: deny }
rules:
  - name: "writes need one secops approver"
    match: "probe.write"
    action: approval
    approver_group: secops
    required_approvals: 1
    reason: "Writes need an approver"
  - name: "probe reads"
    match: ["probe.echo", "probe.slow"]
    action: allow
`;

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startReplica(port: number, dataDir: string): Proc {
  let out = "";
  // The server itself, not tsx's CLI (which runs it as a child): a SIGKILL must reach the server.
  const child = spawn(process.execPath, ["--import", "tsx", "server.ts", "-p", String(port), "-H", "127.0.0.1"], {
    env: { ...process.env, ...E2E_SLACK_ENV, CANOPY_DATA_DIR: dataDir, PORT: String(port), NEXTAUTH_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "warn", UPSTREAMS_PATH: E2E_UPSTREAMS_PATH },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function healthy(proc: Proc, url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`replica exited (${proc.child.exitCode}):\n${proc.output()}`);
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`replica not healthy after ${timeoutMs} ms:\n${proc.output()}`);
}

test.describe("two replicas on one Postgres and one Redis (issue 17)", () => {
  test.skip(!shared, "needs DATABASE_URL and REDIS_URL: the embedded database and KV serve one process");
  test.describe.configure({ mode: "serial", timeout: 180_000 });

  let b: Proc;
  let onB: APIRequestContext;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    b = startReplica(B_PORT, E2E_DATA_DIR);
    await healthy(b, B, 150_000);
    onB = await playwrightRequest.newContext({ baseURL: B });
  });

  test.afterAll(async () => {
    await onB?.dispose();
    if (b && b.child.exitCode === null) {
      b.child.kill("SIGTERM");
      await b.exited;
    }
  });

  test("a process that generated its own keys refuses to start on the shared database, and changes nothing", async ({ request }) => {
    const tenantsBefore = await (await request.get("/api/admin/tenants", { headers: bearer(token("demo-tenant", "platform-admin", "admin")) })).json();
    const lonely = mkdtempSync(path.join(tmpdir(), "canopy-lonely-"));
    try {
      const c = startReplica(E2E_PORT + 4, lonely);
      const code = await Promise.race([c.exited, new Promise<"running">((r) => setTimeout(() => r("running"), 120_000))]);
      if (code === "running") c.child.kill("SIGKILL");
      expect(code, c.output()).toBe(1);
      expect(c.output()).toMatch(/CanopyIQ cannot start: this process's keys differ from the ones this database's deployment uses/);
      expect(c.output()).toMatch(/API token signing key \(CANOPY_JWT_PRIVATE_KEY\).*HMAC_SECRET, NEXTAUTH_SECRET/);
    } finally {
      rmSync(lonely, { recursive: true, force: true });
    }
    const tenantsAfter = await (await request.get("/api/admin/tenants", { headers: bearer(token("demo-tenant", "platform-admin", "admin")) })).json();
    expect(tenantsAfter).toEqual(tenantsBefore);
  });

  test("a token revoked on A is refused on B at once, though B had just accepted it", async ({ request }) => {
    const T = await newTenant(request, "rep");
    await pinPolicy(request, T, POLICY);
    const admin = token(T, "root", "admin");
    const minted = await request.post("/api/admin/tokens", { headers: bearer(admin), data: { subject: "bot", roles: ["agent"], ttl_seconds: 600 } });
    expect(minted.status(), await minted.text()).toBe(201);
    const { id, token: agent } = (await minted.json()) as { id: string; token: string };
    const before = await mcpCall(onB, agent, "probe.echo", { message: "on B, before" });
    expect(verdictOf(before)?.decision).toBe("allow");

    const revoked = await request.delete(`/api/admin/tokens/${id}`, { headers: bearer(admin) });
    expect(revoked.status(), await revoked.text()).toBe(200);
    const probeBefore = (await probeCalls(request)).total;
    const after = await mcpCall(onB, agent, "probe.echo", { message: "on B, after" });
    expect(after.status).toBe(401);
    expect((await probeCalls(request)).total).toBe(probeBefore);
  });

  test("an approval decided on A wakes the wait on B, and the approved call runs once, on either replica", async ({ request }) => {
    const T = await newTenant(request, "rep");
    await pinPolicy(request, T, POLICY);
    expect((await putMember(request, T, "bob-secops", { roles: ["approver"], groups: ["secops"] })).status()).toBe(200);
    const agent = token(T, "agent-1", "agent");
    const asked = await mcpCall(onB, agent, "probe.write", { path: "/srv/a.txt", content: "x" });
    const approval = verdictOf(asked)?.approval;
    expect(verdictOf(asked)?.decision, JSON.stringify(asked.body)).toBe("approval");
    expect(approval?.id).toBeTruthy();

    // B long-polls for the decision (up to 30 s); A takes the vote.
    const waiting = onB.get(`/api/v1/approvals/${approval!.id}/wait?timeout=30`, { headers: bearer(token(T, "watcher", "viewer")) });
    await new Promise((r) => setTimeout(r, 500)); // let B subscribe before the vote
    const t0 = Date.now();
    const vote = await signedVote(request, T, approval!.id, "bob-secops");
    expect(vote.status(), await vote.text()).toBe(200);
    const woke = await waiting;
    const wokeAfterMs = Date.now() - t0;
    expect(woke.status(), await woke.text()).toBe(200);
    expect(await woke.json()).toMatchObject({ id: approval!.id, status: "approved", timed_out: false });
    test.info().annotations.push({ type: "wake", description: `B's wait returned ${wokeAfterMs} ms after A's vote` });

    const writesBefore = (await probeCalls(request)).by_tool.write ?? 0;
    const first = await mcpCall(request, agent, "probe.write", { path: "/srv/a.txt", content: "x" }, { approval_id: approval!.id });
    expect(verdictOf(first)?.decision, JSON.stringify(first.body)).toBe("allow");
    const again = await mcpCall(onB, agent, "probe.write", { path: "/srv/a.txt", content: "x" }, { approval_id: approval!.id });
    expect(verdictOf(again)?.decision).not.toBe("allow");
    expect((await probeCalls(request)).by_tool.write ?? 0).toBe(writesBefore + 1);
  });

  test("a Slack vote delivered to B updates, in place, the message A posted", async ({ request }) => {
    const T = await newTenant(request, "rep");
    await pinPolicy(request, T, POLICY);
    const slackUser = `UREP${Date.now().toString(36).toUpperCase()}`;
    expect((await putMember(request, T, "sam-secops", { roles: ["approver"], groups: ["secops"], slack_user_id: slackUser })).status()).toBe(200);
    const asked = await mcpCall(request, token(T, "agent-1", "agent"), "probe.write", { path: "/srv/slack.txt", content: "x" });
    const id = verdictOf(asked)?.approval?.id;
    expect(id, JSON.stringify(asked.body)).toBeTruthy();

    // A filed the approval and posted its message.
    const postedBy = async () => (await slackApiCalls(request, "chat.postMessage")).find((c) => c.body.channel === E2E_SLACK_ENV.SLACK_APPROVAL_CHANNEL && JSON.stringify(c.body).includes(id!));
    await expect.poll(async () => Boolean(await postedBy()), { timeout: 10_000 }).toBe(true);
    const post = (await postedBy())!;
    const message = { channel: String(post.result?.channel), ts: String(post.result?.ts) };

    const click = await slackClick(onB, slackUser, "approve", id!, "T0E2E0001", message);
    expect(click.status(), await click.text()).toBe(200);
    expect(await click.json()).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("now approved") });

    const updates = async () => (await slackApiCalls(request, "chat.update")).filter((c) => c.body.channel === message.channel && c.body.ts === message.ts);
    await expect.poll(async () => (await updates()).length, { timeout: 10_000 }).toBe(1);
    const blocks = JSON.stringify((await updates())[0].body.blocks);
    expect(blocks).toContain("*Approved*");
    expect(blocks).toContain("sam-secops approved");
    expect(blocks).not.toContain('"action_id":"approve"');
    await expect.poll(async () => (await slackApiCalls(request, "chat.postEphemeral")).some((c) => c.body.user === slackUser && c.body.channel === message.channel), { timeout: 10_000 }).toBe(true);
  });

  test("a quota holds across both replicas, and concurrent calls on both build one linear audit chain", async ({ request }) => {
    const T = await newTenant(request, "rep");
    await pinPolicy(request, T, POLICY);
    const put = await request.put(`/api/admin/tenants/${T}/quotas`, { headers: bearer(token(T, "root", "admin")), data: { requests_per_minute: 10 } });
    expect(put.status(), await put.text()).toBe(200);
    const agent = token(T, "agent-1", "agent");
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => mcpCall(i % 2 ? onB : request, agent, "probe.echo", { message: `c${i}` })));
    const allowed = answers.filter((a) => verdictOf(a)?.decision === "allow");
    const limited = answers.filter((a) => verdictOf(a)?.decision === "deny" && /^limit:/.test(verdictOf(a)?.rule ?? ""));
    expect(allowed).toHaveLength(10);
    expect(limited).toHaveLength(14);

    const verify = await onB.get(`/api/v1/audit/verify?tenant=${T}`, { headers: bearer(token(T, "auditor", "viewer")) });
    expect(verify.status(), await verify.text()).toBe(200);
    const v = (await verify.json()) as { ok: boolean; count: number };
    expect(v.ok).toBe(true);
    const decisions = await auditRecords(request, T, { kind: "tool_decision" });
    expect(decisions).toHaveLength(24);
    expect(v.count).toBeGreaterThanOrEqual(24);
  });

  test("the data plane alone (canopy gateway) beside the replicas: one quota, one audit chain, and a revocation on A refused there at once", async ({ request }) => {
    const port = E2E_PORT + 5;
    let out = "";
    const child = spawn(process.execPath, ["cli/canopy.mjs", "gateway", "--port", String(port), "--host", "127.0.0.1"], {
      env: { ...process.env, ...E2E_SLACK_ENV, CANOPY_DATA_DIR: E2E_DATA_DIR, LOG_LEVEL: "warn", UPSTREAMS_PATH: E2E_UPSTREAMS_PATH },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (out += String(d)));
    child.stderr!.on("data", (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const plane = await playwrightRequest.newContext({ baseURL: `http://127.0.0.1:${port}` });
    try {
      await healthy({ child, output: () => out, exited }, `http://127.0.0.1:${port}`, 120_000);
      const T = await newTenant(request, "rep");
      await pinPolicy(request, T, POLICY);
      const admin = token(T, "root", "admin");
      const put = await request.put(`/api/admin/tenants/${T}/quotas`, { headers: bearer(admin), data: { requests_per_minute: 6 } });
      expect(put.status(), await put.text()).toBe(200);
      const minted = await request.post("/api/admin/tokens", { headers: bearer(admin), data: { subject: "bot", roles: ["agent"], ttl_seconds: 600 } });
      expect(minted.status(), await minted.text()).toBe(201);
      const { id, token: agent } = (await minted.json()) as { id: string; token: string };

      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => mcpCall(i % 2 ? plane : request, agent, "probe.echo", { message: `p${i}` })));
      expect(answers.filter((a) => verdictOf(a)?.decision === "allow")).toHaveLength(6);
      expect(answers.filter((a) => /^limit:/.test(verdictOf(a)?.rule ?? ""))).toHaveLength(4);
      expect(await auditRecords(request, T, { kind: "tool_decision" })).toHaveLength(10);
      const verify = await request.get(`/api/v1/audit/verify?tenant=${T}`, { headers: bearer(token(T, "auditor", "viewer")) });
      expect((await verify.json()) as { ok: boolean }).toMatchObject({ ok: true });

      const revoked = await request.delete(`/api/admin/tokens/${id}`, { headers: bearer(admin) });
      expect(revoked.status(), await revoked.text()).toBe(200);
      const probeBefore = (await probeCalls(request)).total;
      expect((await mcpCall(plane, agent, "probe.echo", { message: "after" })).status).toBe(401);
      expect((await probeCalls(request)).total).toBe(probeBefore);
    } finally {
      await plane.dispose();
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    }
  });

  test("a policy applied on A is in force on B within the one-second cache", async ({ request }) => {
    const T = await newTenant(request, "rep");
    await pinPolicy(request, T, POLICY);
    const agent = token(T, "agent-1", "agent");
    expect(verdictOf(await mcpCall(onB, agent, "probe.echo", { message: "allowed" }))?.decision).toBe("allow");
    await pinPolicy(request, T, POLICY.replace(`match: ["probe.echo", "probe.slow"]`, `match: ["probe.slow"]`));
    const applied = Date.now();
    await expect.poll(async () => verdictOf(await mcpCall(onB, agent, "probe.echo", { message: "now?" }))?.decision, { timeout: 10_000, intervals: [100] }).toBe("deny");
    test.info().annotations.push({ type: "propagation", description: `B denied ${Date.now() - applied} ms after A's apply returned` });
  });

  test("a request relayed to the client on A is answered through B: routed back over Redis, the owner only", async ({ request }) => {
    const T = await newTenant(request, "rep");
    await pinPolicy(request, T, POLICY);
    const agent = token(T, "agent-1", "agent");
    const A = `http://127.0.0.1:${E2E_PORT}`;
    const headers = { ...bearer(agent), "content-type": "application/json", accept: "application/json, text/event-stream" };
    // A session declaring URL-mode elicitation: the approval is asked in the client.
    const init = await fetch(`${A}/mcp`, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { elicitation: { url: {} } }, clientInfo: { name: "e2e", version: "1" } } }),
    });
    expect(init.status).toBe(200);
    const session = init.headers.get("mcp-session-id")!;
    expect(session).toBeTruthy();
    const onA = await fetch(`${A}/mcp`, {
      method: "POST",
      headers: { ...headers, "mcp-session-id": session },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "probe.write", arguments: { path: "/srv/relay.txt", content: "x" } } }),
    });
    expect(onA.headers.get("content-type")).toContain("text/event-stream");
    const events = sseMessages(onA);
    const asked = await events.next();
    expect(asked).toMatchObject({ method: "elicitation/create", params: { mode: "url" } });

    const answer = (who: string) =>
      fetch(`${B}/mcp`, { method: "POST", headers: { ...headers, ...bearer(who), "mcp-session-id": session }, body: JSON.stringify({ jsonrpc: "2.0", id: asked.id, result: { action: "accept" } }) });
    // Another principal of the tenant, with its own token: refused on B, and A keeps waiting.
    const other = await fetch(`${B}/mcp`, { method: "POST", headers: { ...headers, ...bearer(token(T, "agent-2", "agent")) }, body: JSON.stringify({ jsonrpc: "2.0", id: asked.id, result: { action: "accept" } }) });
    expect(other.status).toBe(403);
    const owner = await answer(agent);
    expect(owner.status, await owner.text()).toBe(202);
    // A got the answer through Redis: the call goes on and answers (pending: no sync wait here).
    const final = await events.next();
    expect(final).toMatchObject({ id: 1, result: { _meta: { canopyiq: { decision: "approval" } } } });
    const refused = await auditRecords(request, T, { kind: "mcp_relay_refused" });
    expect(refused.map((r) => r.subject)).toEqual(["agent-2"]);
  });

  test("SIGKILL of a replica mid-call: the forwarded call's audit record was already committed", async ({ request }) => {
    const T = await newTenant(request, "rep");
    await pinPolicy(request, T, POLICY);
    const agent = token(T, "agent-1", "agent");
    const marker = `kill-${Date.now()}`;
    const slowBefore = (await probeCalls(request)).by_tool.slow ?? 0;
    const inFlight = mcpCall(onB, agent, "probe.slow", { ms: 5000, message: marker }).then(
      (a) => `answered ${a.status} ${JSON.stringify(a.body)}`,
      () => "connection lost",
    );
    await expect.poll(async () => (await probeCalls(request)).by_tool.slow ?? 0, { timeout: 20_000, intervals: [50] }).toBe(slowBefore + 1);
    b.child.kill("SIGKILL");
    await b.exited;
    expect(await inFlight).toBe("connection lost");

    const records = await auditRecords(request, T, { kind: "tool_decision" });
    const mine = records.filter((r) => JSON.stringify(r.args ?? "").includes(marker));
    expect(mine, JSON.stringify(records)).toHaveLength(1);
    expect(mine[0]).toMatchObject({ tool: "probe.slow", decision: "allow" });
    const verify = await request.get(`/api/v1/audit/verify?tenant=${T}`, { headers: bearer(token(T, "auditor", "viewer")) });
    expect((await verify.json()) as { ok: boolean }).toMatchObject({ ok: true });
  });
});
