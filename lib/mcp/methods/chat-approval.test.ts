import { beforeEach, describe, expect, test } from "vitest";
import type { Principal } from "@/lib/auth";
import type { CallOutcome, GatewayCall } from "@/lib/enforce/types";
import { answerMcp, type McpGateway } from "../endpoint";
import { createRequestStateSealer } from "../request-state";
import type { ChatApprovals } from "./chat-approval";

// 2026-07-28 approvals asked through the client, on a fake gateway: "deploy" needs approval
// appr_1; a retry carrying it runs once the fake's approval status says approved.
let status: "pending" | "approved" | "denied" = "pending";
const calls: GatewayCall[] = [];
const waits: [string, number][] = [];
const base = { tool: "deploy", trace_id: "t", rule: "needs-approval", reason: "deploys need two approvers", policy_version: 1, estimated_cost_usd: 0, cost_known: true };
const approval = (s: string) => ({ id: "appr_1", status: s, approvals: s === "approved" ? 2 : 0, required_approvals: 2, approver_group: null, expires_at: "2026-12-01T00:00:00.000Z", retry: "…" });
const gateway: McpGateway = {
  listTools: async () => [],
  call: async (_p, call): Promise<CallOutcome> => {
    calls.push(call);
    if (!call.approvalId || status === "pending") return { verdict: { ...base, decision: "approval", approval: approval("pending") } as never };
    if (status === "denied") return { verdict: { ...base, decision: "deny", reason: "approval appr_1 cannot be used: it was denied", approval: approval("denied") } as never };
    return { verdict: { ...base, decision: "allow" } as never, result: { content: [{ type: "text", text: "deployed" }] } };
  },
};
const approvals: ChatApprovals = {
  consoleUrl: "https://canopy.example.com",
  syncWaitMs: 1234,
  waitForDecision: async (id, ms) => {
    waits.push([id, ms]);
    return status;
  },
};
const requestState = createRequestStateSealer("chat-approval-test-secret");
const alice: Principal = { kind: "token", tenant: "t1", subject: "alice", roles: ["agent"] };
const bob: Principal = { kind: "token", tenant: "t1", subject: "bob", roles: ["agent"] };
const otherTenant: Principal = { kind: "token", tenant: "t2", subject: "alice", roles: ["agent"] };

const V = "2026-07-28";
const URL_CAPS = { elicitation: { url: {} } };
type RpcBody = { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };

type Request = { jsonrpc: string; id: number; method: string; params: Record<string, unknown> };
function request(method: string, params: Record<string, unknown>, caps: Record<string, unknown> = URL_CAPS, id = 1): Request {
  const meta = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": caps, "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" } };
  return { jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } };
}
async function send(body: Request, principal: Principal = alice, deps: { approvals?: ChatApprovals } = { approvals }) {
  const name = (body.params.name ?? body.params.uri) as string;
  const answer = await answerMcp({ gateway, requestState, ...deps }, { text: JSON.stringify(body), headers: { protocolVersion: V, method: body.method, name } }, principal, new AbortController().signal);
  return answer.body as RpcBody;
}
const deploy = (extra: Record<string, unknown> = {}, caps?: Record<string, unknown>) => request("tools/call", { name: "deploy", arguments: { env: "prod" }, ...extra }, caps);
const answered = { "canopy-approval-appr_1": { action: "accept" } };

async function firstRound() {
  const res = await send(deploy());
  return res.result as { resultType: string; inputRequests: Record<string, { method: string; params: Record<string, unknown> }>; requestState: string };
}

beforeEach(() => {
  status = "pending";
  calls.length = 0;
  waits.length = 0;
});

describe("a pending approval asked through a 2026-07-28 client", () => {
  test("round 1: input_required with one URL-mode elicitation of the approval's page, never a form", async () => {
    const result = await firstRound();
    expect(result.resultType).toBe("input_required");
    expect(result.inputRequests).toEqual({
      "canopy-approval-appr_1": {
        method: "elicitation/create",
        params: { mode: "url", elicitationId: "canopy-approval-appr_1", url: "https://canopy.example.com/approvals?id=appr_1", message: expect.stringContaining("2 approvals") },
      },
    });
    expect(JSON.stringify(result)).not.toContain("requestedSchema");
    expect(typeof result.requestState).toBe("string");
  });

  test.each<[string, Record<string, unknown>, { approvals?: ChatApprovals }]>([
    ["a client declaring form-mode elicitation only", { elicitation: { form: {} } }, { approvals }],
    ["a client declaring no elicitation", {}, { approvals }],
    ["a deployment without a console URL", URL_CAPS, {}],
  ])("%s gets the explained tool error (approval id and retry hint), no input request", async (_label, caps, deps) => {
    const res = await send(deploy({}, caps), alice, deps);
    expect(res.result).toMatchObject({ isError: true, resultType: "complete", content: [{ text: expect.stringContaining("Approval appr_1 is pending") }] });
    expect(res.result!.inputRequests).toBeUndefined();
  });

  test("the retry once approved: waits, runs with the sealed approval id, the elicitation answer never goes upstream", async () => {
    const { requestState: state } = await firstRound();
    status = "approved";
    const res = await send(deploy({ inputResponses: answered, requestState: state }));
    expect(res.result).toMatchObject({ resultType: "complete", content: [{ text: "deployed" }] });
    expect(waits).toEqual([["appr_1", 1234]]);
    expect(calls[1]).toMatchObject({ tool: "deploy", arguments: { env: "prod" }, approvalId: "appr_1", round: { clientCapabilities: URL_CAPS } });
    expect(calls[1]!.round!.inputResponses).toBeUndefined();
  });

  test("the client's _meta.approval_id cannot redirect a sealed retry to another approval", async () => {
    const { requestState: state } = await firstRound();
    status = "approved";
    await send(deploy({ inputResponses: answered, requestState: state, _meta: { approval_id: "appr_other" } }));
    expect(calls[1]!.approvalId).toBe("appr_1");
  });

  test("still pending after the wait: input_required again, for the same approval", async () => {
    const { requestState: state } = await firstRound();
    const res = await send(deploy({ inputResponses: answered, requestState: state }));
    expect(res.result).toMatchObject({ resultType: "input_required", inputRequests: { "canopy-approval-appr_1": { params: { mode: "url" } } } });
    expect(calls).toHaveLength(2);
  });

  test("denied: the policy-denial tool result", async () => {
    const { requestState: state } = await firstRound();
    status = "denied";
    const res = await send(deploy({ inputResponses: answered, requestState: state }));
    expect(res.result).toMatchObject({ isError: true, resultType: "complete", content: [{ text: expect.stringContaining("Denied by rule \"needs-approval\"") }] });
  });

  const tamper = (s: string) => `${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
  test.each<[string, (state: string) => { principal: Principal; body: Request }]>([
    ["a tampered state", (s) => ({ principal: alice, body: deploy({ requestState: tamper(s) }) })],
    ["another subject", (s) => ({ principal: bob, body: deploy({ requestState: s }) })],
    ["another tenant", (s) => ({ principal: otherTenant, body: deploy({ requestState: s }) })],
    ["other arguments", (s) => ({ principal: alice, body: deploy({ requestState: s, arguments: { env: "dev" } }) })],
    ["another tool", (s) => ({ principal: alice, body: request("tools/call", { name: "rollback", arguments: { env: "prod" }, requestState: s }) })],
    ["a prompts/get of the same name", (s) => ({ principal: alice, body: request("prompts/get", { name: "deploy", requestState: s }) })],
  ])("the approval's state with %s: -32602, nothing runs, no approval is waited for", async (_label, make) => {
    const { requestState: state } = await firstRound();
    status = "approved";
    const { principal, body } = make(state);
    const res = await send({ ...body, params: { ...body.params, inputResponses: answered } }, principal);
    expect(res.error).toMatchObject({ code: -32602, message: expect.stringContaining("requestState") });
    expect(calls).toHaveLength(1);
    expect(waits).toHaveLength(0);
  });

  test("a sealed approval state on a deployment that no longer asks through clients is refused (fail closed)", async () => {
    const { requestState: state } = await firstRound();
    status = "approved";
    const res = await send(deploy({ requestState: state }), alice, {});
    expect(res.error).toMatchObject({ code: -32602, message: expect.stringContaining("approval") });
    expect(calls).toHaveLength(1);
  });
});
