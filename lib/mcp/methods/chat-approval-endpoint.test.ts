import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { auditSearchQuerySchema } from "@/lib/audit/schemas";
import { serveDataPlane } from "@/lib/data-plane/serve";
import { type DataPlaneFixture, setUpDataPlane } from "@/lib/data-plane/testing";
import { createUser, ensureMembership } from "@/lib/db/users";
import { env } from "@/lib/env";
import { startTestUpstream, type TestUpstream } from "@/lib/mcp/upstreams/test-server";
import { services } from "@/lib/server";

/**
 * Issue 15 item 4 at 2026-07-28, end to end through the real node:http data plane, the real
 * pipeline and the approvals service: a tools/call needing two approvals is asked through the
 * client (input_required, URL-mode elicitation of the approval's console page); two approvers
 * vote through the approvals service; the client's retry with the sealed requestState runs the
 * call exactly once.
 */

const CONSOLE = "https://canopy.example.com";
let fixture: DataPlaneFixture;
let upstream: TestUpstream;
let plane: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  // setUpDataPlane restores the environment it found at teardown: these go with it.
  Object.assign(process.env, { NEXTAUTH_URL: CONSOLE, APPROVAL_SYNC_WAIT_MS: "0" });
  upstream = await startTestUpstream({ token: "chat-token", label: "chat" });
  fixture = await setUpDataPlane({
    label: "chat",
    upstream,
    upstreamToken: "chat-token",
    policyYaml: [
      "version: 1",
      "defaults: { decision: deny }",
      "rules:",
      '  - { name: two-person tickets, match: tickets.create_ticket, action: approval, required_approvals: 2, reason: "tickets need two approvers" }',
    ].join("\n"),
  });
  const prisma = (await services().db()).prisma;
  for (const id of ["ann", "bo"]) {
    await createUser(prisma, { id, email: `${id}@example.com` });
    await ensureMembership(prisma, env().CANOPY_DEMO_TENANT, id, ["approver"], []);
  }
  plane = await serveDataPlane({ port: 0, host: "127.0.0.1" });
}, 120_000);

afterAll(async () => {
  await plane?.close();
  await upstream?.stop();
  await fixture?.teardown();
  delete process.env.NEXTAUTH_URL;
  delete process.env.APPROVAL_SYNC_WAIT_MS;
});

const V = "2026-07-28";
const META = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": { elicitation: { url: {} } }, "io.modelcontextprotocol/clientInfo": { name: "chat-test", version: "1" } };
const ARGS = { title: "rotate the prod key" };
let nextId = 1;

async function createTicket(extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${plane.url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${fixture.token}`, "mcp-protocol-version": V, "mcp-method": "tools/call", "mcp-name": "tickets.create_ticket" },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method: "tools/call", params: { name: "tickets.create_ticket", arguments: ARGS, ...extra, _meta: META } }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
  expect(body.error).toBeUndefined();
  return body.result!;
}

async function audit(kind: string) {
  return (await services().audit.search(env().CANOPY_DEMO_TENANT, auditSearchQuerySchema.parse({ kind, limit: 500 }))).records;
}

describe("approvals asked through a 2026-07-28 client", () => {
  test("two approvers vote in the console; the retry runs the call once; a replay is refused; the audit has the decision", async () => {
    const first = await createTicket();
    expect(first.resultType).toBe("input_required");
    const [[key, ask]] = Object.entries(first.inputRequests as Record<string, { method: string; params: { mode: string; url: string; elicitationId: string } }>);
    expect(ask).toMatchObject({ method: "elicitation/create", params: { mode: "url", elicitationId: key } });
    const id = new URL(ask.params.url).searchParams.get("id")!;
    expect(ask.params.url).toBe(`${CONSOLE}/approvals?id=${id}`);
    const state = first.requestState as string;
    const answered = { inputResponses: { [key]: { action: "accept" } }, requestState: state };

    const approvals = await services().approvals();
    const vote = (approver: string) => approvals.decide({ id, tenant: env().CANOPY_DEMO_TENANT, approver, decision: "approved", via: "inbox", requireSignature: false });
    await vote("ann");
    // One of two: still pending, asked again, nothing ran.
    const early = await createTicket(answered);
    expect(early).toMatchObject({ resultType: "input_required", inputRequests: { [key]: { params: { mode: "url" } } } });
    expect(upstream.seen.calls).toBe(0);

    await vote("bo");
    const ran = await createTicket(answered);
    expect(ran).toMatchObject({ resultType: "complete", content: [{ type: "text", text: 'chat: created "rotate the prod key"' }], _meta: { canopyiq: { decision: "allow", approval: { id } } } });
    expect(upstream.seen.calls).toBe(1);

    // Single use: the same state again is refused by the approval binding, nothing runs twice.
    const replay = await createTicket(answered);
    expect(replay).toMatchObject({ isError: true, _meta: { canopyiq: { decision: "deny", error: { code: "approval_already_executed" } } } });
    expect(upstream.seen.calls).toBe(1);

    const trace = (ran._meta as { canopyiq: { trace_id: string } }).canopyiq.trace_id;
    const decisions = (await audit("tool_decision")).filter((r) => r.trace_id === trace);
    expect(decisions).toEqual([expect.objectContaining({ decision: "allow", approval_id: id, tool: "tickets.create_ticket" })]);
    const votes = (await audit("approval_vote")).filter((r) => r.approval_id === id && r.decision === "approved");
    expect(votes.map((r) => r.subject).sort()).toEqual(["ann", "bo"]);
  });

  test("a state for another call (other arguments) is refused before anything runs", async () => {
    const first = await createTicket();
    const before = upstream.seen.calls;
    const res = await fetch(`${plane.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fixture.token}`, "mcp-protocol-version": V, "mcp-method": "tools/call", "mcp-name": "tickets.create_ticket" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method: "tools/call", params: { name: "tickets.create_ticket", arguments: { title: "something else" }, requestState: first.requestState, _meta: META } }),
    });
    expect(await res.json()).toMatchObject({ error: { code: -32602, message: expect.stringContaining("requestState") } });
    expect(upstream.seen.calls).toBe(before);
  });
});
