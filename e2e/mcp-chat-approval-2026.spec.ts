import { expect, test } from "@playwright/test";
import { E2E_PORT } from "./constants";
import { cliToken, signIn } from "./helpers";
import { approveInConsole, inviteSecopsApprover } from "./support/chat-approvers";

/**
 * Issue 15 item 4 at MCP 2026-07-28: the agent's client declares URL-mode elicitation in the
 * request's own `_meta`; its call needs two approvers; the gateway answers `input_required` with
 * a URL-mode elicitation of the approval's page in the console (never a form) and a sealed
 * requestState; two different people approve there in Chromium; the client's retry with
 * inputResponses and the requestState runs the call on the upstream; a replay runs nothing.
 */
const V = "2026-07-28";
const META = { "io.modelcontextprotocol/protocolVersion": V, "io.modelcontextprotocol/clientCapabilities": { elicitation: { url: {} } }, "io.modelcontextprotocol/clientInfo": { name: "e2e-chat-agent-2026", version: "1.0.0" } };
type Result = { resultType?: string; isError?: boolean; content?: { type: string; text?: string }[]; inputRequests?: Record<string, { method: string; params: Record<string, unknown> }>; requestState?: string };
const text = (r: Result) => (r.content ?? []).map((c) => c.text ?? "").join("\n");

let nextId = 1;
async function rpc(agentToken: string, method: string, params: Record<string, unknown>): Promise<Result> {
  const name = params.name as string;
  const res = await fetch(`http://127.0.0.1:${E2E_PORT}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${agentToken}`, "mcp-protocol-version": V, "mcp-method": method, "mcp-name": name },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: META } }),
  });
  const body = (await res.json()) as { result?: Result; error?: unknown };
  expect(body.error, JSON.stringify(body.error)).toBeUndefined();
  return body.result!;
}

test("2026-07-28: input_required with the approval's page, two approvers in the console, the retry completes once", async ({ page, browser, request }) => {
  test.setTimeout(180_000);
  const approver = await inviteSecopsApprover(request, "chat26-approver");

  const agentToken = cliToken({ subject: "agent-2026", roles: "agent" });
  const file = `/sandbox/chat26-approved-${Date.now()}.txt`;
  const call = { name: "fs.write", arguments: { path: file, content: "approved in a 2026 chat" } };
  const first = await rpc(agentToken, "tools/call", call);
  expect(first.resultType).toBe("input_required");
  const [[key, ask]] = Object.entries(first.inputRequests!);
  expect(ask!.method).toBe("elicitation/create");
  expect(ask!.params.mode).toBe("url");
  expect(ask!.params).not.toHaveProperty("requestedSchema");
  const url = ask!.params.url as string;
  const approvalId = new URL(url).searchParams.get("id")!;
  expect(new URL(url).pathname).toBe("/approvals");
  expect(ask!.params.message).toContain("2 approvals");
  const retry = { ...call, inputResponses: { [key]: { action: "accept" } }, requestState: first.requestState };

  // Not approved yet: asked again, nothing written.
  expect((await rpc(agentToken, "tools/call", retry)).resultType).toBe("input_required");

  await signIn(page);
  const firstCard = await approveInConsole(page, url, approvalId, "0 of 2 approvals");
  await expect(firstCard.getByText("1 of 2 approvals")).toBeVisible();
  const other = await browser.newContext();
  const second = await other.newPage();
  await signIn(second, approver.email, approver.password);
  await approveInConsole(second, url, approvalId, "1 of 2 approvals");
  await expect(second.getByRole("article", { name: `Approval ${approvalId}` })).toHaveCount(0);
  await other.close();

  const done = await rpc(agentToken, "tools/call", retry);
  expect(done.resultType).toBe("complete");
  expect(done.isError ?? false, text(done)).toBe(false);
  const read = await rpc(agentToken, "tools/call", { name: "fs.read", arguments: { path: file } });
  expect(text(read)).toContain("approved in a 2026 chat");
  // Single use: the same retry again is refused.
  const replay = await rpc(agentToken, "tools/call", retry);
  expect(replay.isError).toBe(true);
  expect(text(replay)).toContain("already");
});
