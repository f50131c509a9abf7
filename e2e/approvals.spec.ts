import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { mintToken } from "../lib/auth/tokens";
import { E2E_DATA_DIR } from "./constants";
import { sameOrigin, signIn } from "./helpers";

/**
 * The approval inbox in a real browser against the real server: dual control with one approver in
 * the inbox (admin, signed in) and a second one over the seed-003 API with a token and an HMAC
 * signature; deny precedence; the requester never gets enabled buttons on its own request.
 */

const TENANT = "demo-tenant";
const SECOND = "e2e-carol";

// The e2e server's own secrets (playwright.config.ts: CANOPY_DATA_DIR=E2E_DATA_DIR, which follows E2E_PORT).
function serverSecrets() {
  return JSON.parse(readFileSync(path.resolve(E2E_DATA_DIR, "secrets.json"), "utf8")) as { jwtPrivateKeyPem: string; jwtPublicKeyPem: string; hmacSecret: string };
}

async function tokenFor(subject: string, roles: string[]) {
  const s = serverSecrets();
  const { token } = await mintToken(
    { tenant: TENANT, subject, roles, ttlSeconds: 900, now: Date.now() / 1000 },
    { privateKeyPem: s.jwtPrivateKeyPem, publicKeyPem: s.jwtPublicKeyPem, issuer: "canopyiq", audience: "canopyiq-api" },
  );
  return token;
}

const secondApproverToken = () => tokenFor(SECOND, ["approver"]);

/**
 * The seed 000 path, as written (an alias of /api/approvals/create). Filed by the agent itself
 * with its token (whoever files a request may not decide it, so the admin in the inbox is not the
 * filer); `asAdmin` files it with the admin's console session instead.
 */
async function createApproval(page: Page, over: Record<string, unknown> = {}, asAdmin = false) {
  const pendingId = `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const client = asAdmin ? page.request : page.context().request;
  const res = await client.post("/approvals/create", {
    headers: asAdmin ? sameOrigin(page) : { authorization: `Bearer ${await tokenFor("agent-42", ["agent"])}` },
    data: {
      pending_id: pendingId,
      tenant: TENANT,
      subject: "agent-42",
      tool: "fs.write",
      required_approvals: 2,
      args: { path: "/etc/hosts", content: "127.0.0.1 e2e" },
      summary: `Write to /etc/hosts by agent-42 (${pendingId})`,
      approver_group: "secops",
      rule: "FS-write outside jail requires dual approval",
      reason: "Write outside jail requires two approvers",
      ...over,
    },
  });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as { id: string; expires_at: string; summary: string };
}

const card = (page: Page, id: string) => page.getByRole("article", { name: `Approval ${id}` });

test.beforeEach(async ({ page }) => {
  await signIn(page);
  // Make the second approver a member of secops (the admin RBAC endpoint creates the user).
  const res = await page.request.put(`/admin/rbac/${TENANT}/users/${SECOND}`, { headers: sameOrigin(page), data: { roles: ["approver"], groups: ["secops"] } });
  expect(res.status(), await res.text()).toBe(200);
});

test("dual control: the admin approves in the inbox, a second approver over the API, and the approval is granted", async ({ page, request }) => {
  const approval = await createApproval(page);
  await page.goto("/approvals");
  await expect(page.getByRole("heading", { level: 1, name: "Approvals" })).toBeVisible();
  const c = card(page, approval.id);
  await expect(c).toBeVisible();
  await expect(c.getByText("0 of 2 approvals")).toBeVisible();
  await expect(c.getByText("FS-write outside jail requires dual approval")).toBeVisible();
  await expect(c.getByText(/expires in/)).toBeVisible();

  await c.getByLabel("Comment (optional)").fill("Checked the diff");
  await c.getByRole("button", { name: "Approve" }).click();
  await expect(c.getByText("1 of 2 approvals")).toBeVisible();
  await expect(c.getByRole("list", { name: "Votes" })).toContainText("admin");
  await expect(c.getByRole("list", { name: "Votes" })).toContainText("Checked the diff");
  await expect(c.getByRole("button", { name: "Approve" })).toBeDisabled();
  await expect(c.getByText("You approved this request.")).toBeVisible();

  // The second approver: seed 003 approve with the HMAC signature, over a bearer token.
  const { hmacSecret } = serverSecrets();
  const signature = createHmac("sha256", hmacSecret).update(`${approval.id}:approved:${SECOND}:${approval.expires_at}`).digest("hex");
  const token = await secondApproverToken();
  const res = await request.post(`/v1/approvals/${approval.id}/approve`, {
    headers: { authorization: `Bearer ${token}` },
    data: { decision: "approved", approver: SECOND, comment: "LGTM", signature },
  });
  expect(res.status(), await res.text()).toBe(200);
  expect(await res.json()).toMatchObject({ id: approval.id, status: "approved", remaining_approvals: 0 });

  // Live update: the card leaves the pending list by itself, and the history shows the outcome.
  await expect(c).toBeHidden({ timeout: 10_000 });
  await page.getByRole("tab", { name: "History" }).click();
  const done = card(page, approval.id);
  await expect(done).toBeVisible();
  await expect(done.getByText("2 of 2 approvals")).toBeVisible();
  await expect(done.getByRole("list", { name: "Votes" })).toContainText(SECOND);

  // The decision is verifiable (seed 003), and the approval is bound to its exact call.
  const verify = await request.post(`/v1/approvals/${approval.id}/verify`, { headers: { authorization: `Bearer ${token}` }, data: { signature } });
  expect(await verify.json()).toMatchObject({ valid: true, approval: { id: approval.id, status: "approved", approver: SECOND } });
  const detail = await (await request.get(`/v1/approvals/${approval.id}`, { headers: { authorization: `Bearer ${token}` } })).json();
  expect(detail).toMatchObject({ status: "approved", approvals: 2, tool: "fs.write", subject: "agent-42" });
});

test("deny precedence: one deny in the inbox rejects at once", async ({ page }) => {
  const approval = await createApproval(page);
  await page.goto("/approvals");
  const c = card(page, approval.id);
  await c.getByLabel("Comment (optional)").fill("Not on production hosts");
  await c.getByRole("button", { name: "Deny" }).click();
  await expect(c).toBeHidden({ timeout: 10_000 });
  await page.getByRole("tab", { name: "History" }).click();
  await page.getByLabel("Status").selectOption("rejected");
  const done = card(page, approval.id);
  await expect(done).toBeVisible();
  await expect(done.getByText("rejected", { exact: true })).toBeVisible();
  await expect(done.getByText("Not on production hosts")).toBeVisible();
});

test("the requester cannot decide its own request: buttons are disabled with the reason", async ({ page }) => {
  const approval = await createApproval(page, { subject: "admin", required_approvals: 1, summary: "Admin's own request" }, true);
  await page.goto("/approvals");
  const c = card(page, approval.id);
  await expect(c.getByRole("button", { name: "Approve" })).toBeDisabled();
  await expect(c.getByRole("button", { name: "Deny" })).toBeDisabled();
  await expect(c.getByText("the requester cannot decide its own request")).toBeVisible();
});

test("seed 004 two-phase: the admin reveals a personal approval code in the inbox; the agent completes with it and it counts as the admin's vote", async ({ page }) => {
  const a = await createApproval(page);
  await page.goto("/approvals");
  const c = card(page, a.id);
  await c.getByRole("button", { name: "Reveal my approval code" }).click();
  const code = (await c.getByLabel("Your approval code").textContent())!.trim();
  expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await c.screenshot({ path: test.info().outputPath(`approval-code-${width}.png`) });
  }
  const res = await page.context().request.post("/approvals/complete", {
    headers: { authorization: `Bearer ${await tokenFor("agent-42", ["agent"])}` },
    data: { dry_run_id: a.id, approval_code: code },
  });
  expect(await res.json()).toMatchObject({ id: a.id, approver: "admin", status: "pending", approvals: 1, via: "code" });
  await expect(c.getByText("You approved this request.")).toBeVisible();
});
