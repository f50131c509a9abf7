import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";
import { bearer, token } from "./security/kit";

/** The Account page: a person changes their own name and password and sees their tenants and roles. */

test("an invited member renames themself, changes their password and signs in with the new one", async ({ page, request }) => {
  const email = `account-${randomBytes(3).toString("hex")}@example.com`;
  const invited = await request.post("/api/admin/rbac/demo-tenant/invitations", { headers: bearer(token("demo-tenant", "admin", "admin")), data: { email, roles: ["viewer", "approver"], groups: ["secops"] } });
  expect(invited.status(), await invited.text()).toBe(201);
  const secret = new URL((await invited.json()).invitation.link).hash.slice("#token=".length);
  expect((await request.post("/api/invitations/accept", { data: { token: secret, password: "first-password-1234" } })).status()).toBe(200);

  await signIn(page, email, "first-password-1234");
  await page.goto("/account");
  await expect(page.getByRole("heading", { level: 1, name: "Account" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Your tenants" })).toContainText("demo-tenant: viewer, approver · groups secops");

  const nameForm = page.getByRole("form", { name: "Change name" });
  await nameForm.getByLabel("Name").fill("Renamed Person");
  await nameForm.getByRole("button", { name: "Save name" }).click();
  await expect(nameForm.getByRole("status")).toHaveText("Name saved.");
  await expect(page.getByTestId("signed-in-user")).toHaveText("Renamed Person");

  const pw = page.getByRole("form", { name: "Change password" });
  await pw.getByLabel("Current password").fill("wrong-password-0000");
  await pw.getByLabel("New password").fill("second-password-5678");
  await pw.getByRole("button", { name: "Change password" }).click();
  await expect(pw.getByRole("alert")).toContainText("current_password is not right");
  await pw.getByLabel("Current password").fill("first-password-1234");
  await pw.getByRole("button", { name: "Change password" }).click();
  await expect(pw.getByRole("status")).toHaveText("Password changed.");
  await page.screenshot({ path: test.info().outputPath("account-laptop.png"), fullPage: true });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, email, "second-password-5678");
});

test("an API token cannot read or change anyone's account", async ({ request }) => {
  const t = token("demo-tenant", "admin", "admin");
  expect((await request.get("/api/account", { headers: bearer(t) })).status()).toBe(403);
  const res = await request.put("/api/account", { headers: bearer(t), data: { new_password: "taken-over-password" } });
  expect(res.status()).toBe(403);
  expect((await res.json()).error.code).toBe("session_required");
});
