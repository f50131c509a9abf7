import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult, ElicitationCompleteNotificationSchema, ElicitRequestSchema, type ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "./constants";
import { cliToken, signIn } from "./helpers";
import { approveInConsole, inviteSecopsApprover } from "./support/chat-approvers";

/**
 * Issue 15 item 4: an approval asked inside the agent's chat. The agent's client declares URL-mode
 * elicitation (MCP 2025-11-25); its call needs two approvers; the gateway asks the client to open
 * the approval's own page in the console (never a form); two different people approve there in
 * Chromium; the client's retry with the approval id runs the call on the upstream, and the client
 * is told the elicitation is complete.
 */
const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

test("a call needing 2 approvals: URL elicitation in the client, two approvers in the console, the call completes", async ({ page, browser, request }) => {
  // Two people sign in and decide in their own browsers: more than the default minute on a shared CI machine.
  test.setTimeout(180_000);
  const approver = await inviteSecopsApprover(request, "chat-approver");

  const asked: ElicitRequest["params"][] = [];
  const completed: string[] = [];
  const agent = new Client({ name: "e2e-chat-agent", version: "1.0.0" }, { capabilities: { elicitation: { url: {} } } });
  agent.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    return { action: "accept" };
  });
  agent.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => void completed.push(n.params.elicitationId));
  const agentToken = cliToken({ subject: "agent-42", roles: "agent" });
  await agent.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${E2E_PORT}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${agentToken}` } } }));

  const file = `/sandbox/chat-approved-${Date.now()}.txt`;
  const call = { name: "fs.write", arguments: { path: file, content: "approved in chat" } };
  const first = (await agent.callTool(call)) as CallToolResult;
  expect(first.isError).toBe(true);
  const approvalId = text(first).match(/Approval (appr_\S+) is pending/)![1]!;

  // Asked in the chat: URL mode, the approval's own page, never a form.
  expect(asked).toHaveLength(1);
  const q = asked[0]!;
  expect(q.mode).toBe("url");
  expect(q).not.toHaveProperty("requestedSchema");
  const url = (q as { url: string }).url;
  expect(new URL(url).pathname).toBe("/approvals");
  expect(new URL(url).searchParams.get("id")).toBe(approvalId);
  expect(q.message).toContain("2 approvals");

  // Two different people approve on that page.
  await signIn(page);
  const firstCard = await approveInConsole(page, url, approvalId, "0 of 2 approvals");
  await expect(firstCard.getByText("1 of 2 approvals")).toBeVisible();
  const other = await browser.newContext();
  const second = await other.newPage();
  await signIn(second, approver.email, approver.password);
  await approveInConsole(second, url, approvalId, "1 of 2 approvals");
  // Quorum reached: it leaves the pending list (other specs' approvals may still wait there).
  await expect(second.getByRole("article", { name: `Approval ${approvalId}` })).toHaveCount(0);
  await other.close();

  // The client's retry runs the exact call on the upstream and closes the question.
  const retry = (await agent.callTool({ ...call, _meta: { approval_id: approvalId } })) as CallToolResult;
  expect(retry.isError ?? false, text(retry)).toBe(false);
  expect(completed).toContain(`canopy-approval-${approvalId}`);
  const read = (await agent.callTool({ name: "fs.read", arguments: { path: file } })) as CallToolResult;
  expect(text(read)).toContain("approved in chat");
  await agent.close();
});
