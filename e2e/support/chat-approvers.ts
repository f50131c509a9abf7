import { randomBytes } from "node:crypto";
import { type APIRequestContext, expect, type Page } from "@playwright/test";
import { bearer, token } from "../security/kit";

/** A second approver for the in-chat approval specs: invited into demo-tenant's secops, with a password of their own. */
export async function inviteSecopsApprover(request: APIRequestContext, label: string): Promise<{ email: string; password: string }> {
  const email = `${label}-${randomBytes(3).toString("hex")}@example.com`;
  const password = `${label}-pass-1`;
  const invited = await request.post("/api/admin/rbac/demo-tenant/invitations", { headers: bearer(token("demo-tenant", "admin", "admin")), data: { email, roles: ["viewer", "approver"], groups: ["secops"] } });
  expect(invited.status(), await invited.text()).toBe(201);
  const secret = new URL((await invited.json()).invitation.link).hash.slice("#token=".length);
  expect((await request.post("/api/invitations/accept", { data: { token: secret, password } })).status()).toBe(200);
  return { email, password };
}

/** Opens the page the client was asked to open, finds the approval's card showing `before`, and approves it. */
export async function approveInConsole(page: Page, url: string, approvalId: string, before: string) {
  await page.goto(url);
  const card = page.getByRole("article", { name: `Approval ${approvalId}` }).first();
  await expect(card).toBeVisible();
  await expect(card.getByText(before)).toBeVisible();
  await card.getByRole("button", { name: "Approve" }).click();
  return card;
}
