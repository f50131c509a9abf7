import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { sameOrigin, signIn } from "./helpers";

test("the audit explorer verifies the chain, filters, opens a record and exports", async ({ page }) => {
  // Signing in appends a `login` record; an agent-style note gives a tool to filter on.
  await signIn(page);
  const note = `e2e refund note ${Date.now()}`;
  const res = await page.request.post("/api/v1/audit", { headers: sameOrigin(page), data: { action: "refund.create", tool: "payments.refund", ok: true, note } });
  expect(res.status()).toBe(201);
  const { record } = (await res.json()) as { record: { seq: number; hash: string; prev_hash: string } };

  await page.goto("/audit");
  await expect(page.getByRole("heading", { level: 1, name: "Audit" })).toBeVisible();
  const table = page.getByRole("table", { name: "Audit records" });
  await expect(table.getByRole("row").filter({ hasText: "console sign-in" }).first()).toBeVisible();
  await expect(table.getByRole("row").filter({ hasText: note })).toBeVisible();

  // Verify chain: the server recomputes every hash and link.
  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Chain verified: \d+ records/ })).toBeVisible();

  // Filter by a tool glob: only the note is left.
  await page.getByLabel("Tool", { exact: true }).fill("payments.*");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(table.getByRole("row").filter({ hasText: "console sign-in" })).toHaveCount(0);
  await expect(table.getByRole("row").filter({ hasText: note })).toHaveCount(1);

  // Open it: arguments / details and its chain links.
  await table.getByRole("row").filter({ hasText: note }).click();
  const drawer = page.getByRole("dialog", { name: `Record #${record.seq}` });
  await expect(drawer).toBeVisible();
  await expect(drawer.getByText("payments.refund")).toBeVisible();
  await expect(drawer.getByLabel("Details")).toContainText("refund.create");
  await expect(drawer.getByText(record.hash)).toBeVisible();
  await expect(drawer.getByText(record.prev_hash)).toBeVisible();

  // Follow the chain back one link: the previous record's hash is this one's prev_hash.
  await drawer.getByRole("button", { name: "← Previous record" }).click();
  const previous = page.getByRole("dialog", { name: `Record #${record.seq - 1}` });
  await expect(previous).toBeVisible();
  await expect(previous.getByRole("region", { name: "Chain links" }).getByText(record.prev_hash)).toBeVisible();
  await previous.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  // Export the filtered view: a JSONL file with the header, the record and a signed head.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export JSONL" }).click()]);
  const lines = readFileSync((await download.path())!, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ type: "header", format: "canopyiq-audit-export", partial: true });
  expect(lines.filter((l) => l.type === "record").map((l) => l.seq)).toEqual([record.seq]);
  expect(lines.at(-1)).toMatchObject({ type: "head" });
});

test("the audit API refuses another tenant and verifies over HTTP", async ({ page }) => {
  await signIn(page);
  const other = await page.request.get("/api/v1/audit?tenant=someone-else");
  expect(other.status()).toBe(403);
  expect((await other.json()).error.code).toBe("forbidden");
  const verify = await page.request.get("/api/v1/audit/verify");
  expect(verify.status()).toBe(200);
  expect(await verify.json()).toMatchObject({ ok: true });
  const cps = await page.request.get("/api/v1/audit/checkpoints");
  expect(await cps.json()).toMatchObject({ checkpoints: expect.any(Array), public_key: expect.stringContaining("PUBLIC KEY") });
});
