import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect, test } from "@playwright/test";
import { E2E_DATA_DIR, E2E_PORT } from "./constants";
import { cliToken, sameOrigin, signIn } from "./helpers";

/**
 * Seed 000 §5A end to end: an agent's write outside the jail needs two approvers; the admin
 * approves in the inbox, bob over the signed API; the agent's retry with the approval id runs the
 * call on the real filesystem server, exactly once.
 */
const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

test("dual control: approval in the inbox and over the API, then the call goes through once", async ({ page, request }) => {
  const file = `/sandbox/approved-${Date.now()}.txt`;
  const agent = new Client({ name: "e2e-agent", version: "1.0.0" });
  const agentToken = cliToken({ subject: "agent-42", roles: "agent" });
  await agent.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${E2E_PORT}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${agentToken}` } } }));

  const first = (await agent.callTool({ name: "fs.write", arguments: { path: file, content: "approved content" } })) as CallToolResult;
  expect(first.isError).toBe(true);
  const approvalId = text(first).match(/Approval (appr_\S+) is pending/)![1];

  // bob becomes a secops approver (seed 000 §6C, with groups).
  await signIn(page);
  const put = await page.request.put("/admin/rbac/demo-tenant/users/bob", { headers: sameOrigin(page), data: { roles: ["approver", "viewer"], groups: ["secops"] } });
  expect(put.status(), await put.text()).toBe(200);

  // A retry before the approvals are in does not run.
  const early = (await agent.callTool({ name: "fs.write", arguments: { path: file, content: "approved content" }, _meta: { approval_id: approvalId } })) as CallToolResult;
  expect(early.isError).toBe(true);
  expect(text(early)).toMatch(/still pending/);

  // First approver: the admin, in the browser inbox.
  await page.goto("/approvals");
  const card = page.getByRole("article", { name: `Approval ${approvalId}` });
  await expect(card).toBeVisible();
  await expect(card.getByText("0 of 2 approvals")).toBeVisible();
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(card.getByText("1 of 2 approvals")).toBeVisible();

  // Second approver: bob, with the seed 003 HMAC-signed decision.
  const bob = cliToken({ subject: "bob", roles: "approver" });
  const detail = await (await request.get(`/v1/approvals/${approvalId}`, { headers: { authorization: `Bearer ${bob}` } })).json();
  const { hmacSecret } = JSON.parse(readFileSync(path.resolve(E2E_DATA_DIR, "secrets.json"), "utf8"));
  const signature = createHmac("sha256", hmacSecret).update(`${approvalId}:approved:bob:${detail.expires_at}`).digest("hex");
  const vote = await request.post(`/v1/approvals/${approvalId}/approve`, {
    headers: { authorization: `Bearer ${bob}` },
    data: { decision: "approved", approver: "bob", comment: "ok", signature },
  });
  expect(vote.status(), await vote.text()).toBe(200);
  expect((await vote.json()).status).toBe("approved");

  // The retry runs the exact call on the upstream; the file is there.
  const retry = (await agent.callTool({ name: "fs.write", arguments: { path: file, content: "approved content" }, _meta: { approval_id: approvalId } })) as CallToolResult;
  expect(retry.isError ?? false, text(retry)).toBe(false);
  const read = (await agent.callTool({ name: "fs.read", arguments: { path: file } })) as CallToolResult;
  expect(text(read)).toContain("approved content");

  // Once only, and only for that call.
  const again = (await agent.callTool({ name: "fs.write", arguments: { path: file, content: "approved content" }, _meta: { approval_id: approvalId } })) as CallToolResult;
  expect(text(again)).toMatch(/cannot be used: .*already been used/);
  await agent.close();
});
