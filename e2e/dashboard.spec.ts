import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { signIn } from "./helpers";
import { bearer, mcpCall, newTenant, token, verdictOf } from "./security/kit";

/**
 * The dashboard in Chromium against the production server: an agent's calls through the real MCP
 * endpoint show up in the figures, and a bar opens the audit explorer filtered to its records.
 */

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  await test.info().attach(name, { path: test.info().outputPath(`${name}.png`), contentType: "image/png" });
}

type Totals = { decisions: number; allow: number; deny: number; error: number };

async function totals(page: Page): Promise<Totals> {
  const res = await page.request.get("/api/v1/dashboard?range=1h");
  expect(res.status()).toBe(200);
  return (await res.json()).totals as Totals;
}

/** Three calls by an agent through /mcp: one allowed that the upstream fails, one allowed that works, one denied. */
async function agentCalls(page: Page): Promise<void> {
  const agent = token("demo-tenant", "dash-agent", "agent");
  const missing = await mcpCall(page.request, agent, "fs.read", { path: `/sandbox/tmp/missing-${randomBytes(4).toString("hex")}.txt` });
  expect(missing.body.result?.isError).toBe(true);
  const written = await mcpCall(page.request, agent, "fs.write", { path: "/sandbox/tmp/dashboard.txt", content: "counted" });
  expect(written.body.result?.isError ?? false).toBe(false);
  // A tool the policy denies (a name no upstream offers would be a protocol error, not a decision).
  const denied = await mcpCall(page.request, agent, "fs.read", { path: "/etc/passwd" });
  expect(verdictOf(denied)?.decision).toBe("deny");
}

const stat = (page: Page, label: string) => page.getByRole("link", { name: new RegExp(`^${label}: \\d+ \\(open in the audit explorer\\)$`) });

test("calls appear on the dashboard; a bar and a figure open the audit explorer filtered", async ({ page }) => {
  await signIn(page);
  const before = await totals(page);
  await agentCalls(page);
  // The outcome of a forwarded call is recorded just after the agent's answer: wait for it.
  await expect.poll(async () => (await totals(page)).error).toBe(before.error + 1);
  const after = await totals(page);
  expect(after).toMatchObject({ allow: before.allow + 2, deny: before.deny + 1, decisions: before.decisions + 3 });

  await page.goto("/?range=1h");
  await expect(page.getByRole("group", { name: "Time range" }).getByRole("button", { name: "1h" })).toHaveAttribute("aria-pressed", "true");
  await expect(stat(page, "Denied")).toContainText(String(after.deny));
  await expect(stat(page, "Allowed")).toContainText(String(after.allow));
  await expect(stat(page, "Upstream errors")).toContainText(String(after.error));
  await expect(page.getByRole("region", { name: "Top denied tools" }).getByRole("link", { name: /fs\.read/ })).toBeVisible();
  const chart = page.getByRole("figure", { name: "Decisions over time" });
  await expect(chart.locator(".dashboard-bar-deny .recharts-rectangle").last()).toBeVisible();
  await shot(page, "dashboard-laptop");

  // The deny segment of the current minute: the explorer opens on that decision and that minute.
  await chart.locator(".dashboard-bar-deny .recharts-rectangle").last().click();
  await expect(page).toHaveURL(/\/audit\?decision=deny&kind=tool_decision&from=.*&to=/);
  const url = new URL(page.url());
  expect(Date.parse(url.searchParams.get("to")!) - Date.parse(url.searchParams.get("from")!)).toBe(60_000);
  const table = page.getByRole("table", { name: "Audit records" });
  await expect(table.getByRole("row").filter({ hasText: "fs.read" }).first()).toBeVisible();
  await expect(page.locator("select[name=decision]")).toHaveValue("deny");
  await expect(page.locator("select[name=kind]")).toHaveValue("tool_decision");
  // Only denials are listed: the row count matches the bar (other minutes and decisions filtered out).
  const records = (await (await page.request.get(`/api/v1/audit?${url.searchParams}`)).json()).records as { decision: string }[];
  expect(records.length).toBeGreaterThan(0);
  expect(records.every((r) => r.decision === "deny")).toBe(true);

  // A figure: the upstream errors of the range, shown as such (never a plain "allow").
  await page.goto("/?range=1h");
  await stat(page, "Upstream errors").click();
  await expect(page).toHaveURL(/\/audit\?kind=tool_result&outcome=error&from=/);
  await expect(table.getByRole("row").filter({ hasText: "allow · upstream error" }).first()).toBeVisible();

  // Another range answers from the hourly rollup: the same calls are counted.
  await page.goto("/");
  await page.getByRole("group", { name: "Time range" }).getByRole("button", { name: "7d" }).click();
  await expect(page).toHaveURL(/\?range=7d$/);
  await expect(stat(page, "Denied")).toBeVisible();
  const week = (await (await page.request.get("/api/v1/dashboard?range=7d")).json()) as { totals: Totals; source: string };
  expect(week.source).toBe("rollup");
  expect(week.totals.deny).toBeGreaterThanOrEqual(after.deny);
});

test("the dashboard fits a 390 px phone", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await ctx.newPage();
  await signIn(page);
  await page.goto("/?range=24h");
  await expect(page.getByRole("figure", { name: "Decisions over time" }).locator(".recharts-bar").first()).toBeVisible();
  await expect(stat(page, "Denied")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, "dashboard-phone");
  await ctx.close();
});

test("isolation: a tenant's dashboard counts only its own calls, and its users cannot pick another tenant", async ({ page, request }) => {
  const tenant = await newTenant(request, "dash");
  const viewer = token(tenant, "vic", "viewer");
  const own = await request.get("/api/v1/dashboard?range=1h", { headers: bearer(viewer) });
  expect(own.status()).toBe(200);
  // demo-tenant has calls in this hour (the test above); the new tenant has none of them.
  expect(await own.json()).toMatchObject({ tenant, totals: { decisions: 0, deny: 0 }, top_tools: [] });
  const refused = await request.get("/api/v1/dashboard?tenant=demo-tenant", { headers: bearer(viewer) });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.code).toBe("forbidden");
  // The platform admin (seeded admin of demo-tenant) may pick it.
  await signIn(page);
  const picked = await page.request.get(`/api/v1/dashboard?range=1h&tenant=${tenant}`);
  expect(picked.status()).toBe(200);
  expect((await picked.json()).tenant).toBe(tenant);
  expect((await page.request.get("/api/v1/dashboard?tenant=no-such-tenant")).status()).toBe(404);
});
