import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type APIRequestContext, type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import { signIn } from "./helpers";
import { bearer, mcpCall, newTenant, pinPolicy, PLATFORM_TENANT, putMember, token } from "./security/kit";

/**
 * The policy studio in Chromium against the production build: Monaco (with its editor and YAML
 * workers), completion and hovers from the engine's schema, the server validator's markers, the
 * live simulation over recorded calls, test cases, the diff, apply to a pinned fresh tenant and
 * roll back; a viewer's read-only editor; the layout at 1366 and 390 px (screenshots kept under
 * test-results/). Every tenant is fresh, so the demo tenant's policy never changes.
 */

// Multi-line text goes into Monaco by paste: typing a newline lets the editor auto-indent the next line.
test.use({ permissions: ["clipboard-read", "clipboard-write"] });

const BASE_POLICY = `version: 1
defaults:
  decision: allow
  reason: "allowed unless a rule says otherwise"
rules:
  - name: "probe writes need approval"
    match: probe.write
    action: approval
    approver_group: secops
    required_approvals: 2
`;

const BAD_RULE = `  - name: "no echo"
    match: probe.echo
    action: denny
`;
const GOOD_RULE = BAD_RULE.replace("denny", "deny");

/** A fresh tenant running BASE_POLICY, with recorded calls, where the console admin has `roles`. */
async function studioTenant(request: APIRequestContext, roles: string[]): Promise<{ tenant: string; version: number }> {
  const tenant = await newTenant(request, "studio");
  const version = await pinPolicy(request, tenant, BASE_POLICY);
  const agent = token(tenant, "agent-e2e", "agent");
  expect((await mcpCall(request, agent, "probe.echo", { text: "hello" })).status).toBe(200);
  expect((await mcpCall(request, agent, "probe.write", { path: "/tmp/studio.txt", content: "x" })).status).toBe(200);
  const put = await putMember(request, tenant, "admin", { roles });
  expect(put.status(), await put.text()).toBe(200);
  return { tenant, version };
}

async function openStudio(page: Page, tenant: string) {
  await page.context().addCookies([{ name: "canopy_tenant", value: tenant, url: new URL(page.url()).origin }]);
  await page.goto("/policies");
  await page.getByRole("link", { name: "Open the policy studio" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Policy studio" })).toBeVisible();
  // Monaco and its workers load in seconds; the shared 2-core machine can be far busier than a laptop.
  await expect(page.getByTestId("policy-editor")).toHaveAttribute("data-editor-ready", "true", { timeout: 60_000 });
}

const editorText = async (page: Page) => (await page.locator(".monaco-editor .view-lines").first().innerText()).replace(/\u00a0/g, " ");

async function pasteInEditor(page: Page, text: string) {
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.keyboard.press("Control+V");
}

/** `canopy policy validate FILE`'s findings for `yaml`: [line, column, message]. */
function cliFindings(yaml: string): [number, number, string][] {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "studio-")), "draft.yaml");
  writeFileSync(file, yaml);
  let out = "";
  try {
    execFileSync(process.execPath, ["cli/canopy.mjs", "policy", "validate", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
  return [...out.matchAll(/:(\d+):(\d+): (.+)$/gm)].map((m) => [Number(m[1]), Number(m[2]), m[3]]);
}

async function activeOf(request: APIRequestContext, tenant: string): Promise<{ version: number; yaml: string }> {
  const res = await request.get("/api/v1/policy", { headers: bearer(token(tenant, "auditor", "viewer")) });
  expect(res.status()).toBe(200);
  return res.json();
}

function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  return problems;
}

test("an author edits with completion, hovers and the validator's markers, simulates live, tests, diffs, applies to a pinned tenant and rolls back", async ({ page, request }, testInfo) => {
  // A long walk through the studio; on the shared 2-core machine under load it takes minutes.
  test.setTimeout(420_000);
  const { tenant, version: first } = await studioTenant(request, ["policy_author"]);
  const demoBefore = await activeOf(request, PLATFORM_TENANT);
  const problems = watchConsole(page);
  await signIn(page);
  await openStudio(page, tenant);

  // The recorded calls are simulated: probe.echo is allowed by the default, probe.write needs approval.
  const sim = page.getByRole("list", { name: "Simulated calls" });
  const echo = sim.locator('li[data-case-id^="rec:"]').filter({ hasText: "probe.echo" });
  await expect(echo).toHaveAttribute("data-decision", "allow");
  await expect(sim.locator('li[data-case-id^="rec:"]').filter({ hasText: "probe.write" })).toHaveAttribute("data-decision", "approval");

  // Completion of conditions from the engine's schema.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await pasteInEditor(page, '  - name: "scratch"\n    match: probe.http\n    action: deny\n    where:\n      ');
  await page.keyboard.press("Control+Space");
  const suggest = page.locator(".monaco-editor .suggest-widget");
  await expect(suggest).toContainText("host_in");
  await expect(suggest).toContainText("estimated_cost_usd_over");
  await page.keyboard.press("Escape");
  await page.keyboard.insertText("host_in: [api.example.com]");
  // Hover documentation of the condition.
  await page.locator(".view-line").filter({ hasText: "host_in" }).locator("span > span", { hasText: "host_in" }).first().hover();
  await expect(page.locator(".monaco-hover").filter({ hasText: "Holds when the call's host" }).first()).toBeVisible();
  // Take the scratch rule out again.
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+A");
  await pasteInEditor(page, BASE_POLICY);
  await expect.poll(() => editorText(page)).not.toContain("scratch");

  // A rule with a mistake: the server's validator marks it with the CLI's own line, column and message.
  await page.keyboard.press("Control+End");
  await pasteInEditor(page, BAD_RULE);
  const [[line, column, message]] = cliFindings(BASE_POLICY + BAD_RULE);
  expect(message).toContain("denny");
  await expect(page.getByRole("list", { name: "Validation problems" })).toHaveText(`line ${line}, column ${column}: ${message}`);
  await expect(page.locator(".monaco-editor .squiggly-error").first()).toBeVisible();
  await page.keyboard.press("F8"); // Monaco's "go to next problem" shows the marker's own text
  await expect(page.locator(".monaco-editor .marker-widget")).toContainText(message);
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("sim-status")).toContainText("Fix the problems");

  // Fixed: the echo call is now denied by the new rule, and flagged as a change from the active policy.
  await page.keyboard.press("Control+A");
  await pasteInEditor(page, BASE_POLICY + GOOD_RULE);
  await expect(page.getByTestId("validation-status")).toHaveText("Valid: 2 rules");
  await expect(echo).toHaveAttribute("data-decision", "deny");
  await expect(echo).toHaveAttribute("data-active-decision", "allow");
  await expect(echo).toHaveAttribute("data-changed", "true");
  await expect(echo).toContainText("was allow");

  // Expand: the rule, the reason, the per-condition trace; keep it as a test case.
  await echo.getByRole("button").first().click();
  const detail = page.getByRole("region", { name: "Simulation of probe.echo" });
  await expect(detail).toContainText("rule “no echo”");
  await expect(detail.getByRole("list", { name: "Trace" })).toContainText("no echo");
  await detail.getByRole("button", { name: "Save as test case" }).click();
  await expect(page.getByRole("tab", { name: "Test cases (1)" })).toBeVisible();
  const saved = page.getByRole("list", { name: "Test cases" }).locator("li").first();
  await expect(saved).toContainText("probe.echo → deny (no echo)");
  await expect(saved).toContainText("pass");
  // Kept on the server, for the tenant.
  const author = token(tenant, "admin", "policy_author");
  await expect
    .poll(async () => ((await (await request.get("/api/v1/policy/test-cases", { headers: bearer(author) })).json()) as { test_cases: { name: string; expected: unknown }[] }).test_cases)
    .toEqual([expect.objectContaining({ name: "probe.echo → deny (no echo)", expected: { decision: "deny", rule: "no echo" } })]);

  // Reload: the draft (from the server, not this browser's storage) and the test case are still there.
  await expect(page.getByTestId("draft-status")).toContainText("Draft saved on the server");
  const draft = (await (await request.get("/api/v1/policy/draft", { headers: bearer(author) })).json()) as { text: string; base_version: number };
  expect(draft.text).toContain('name: "no echo"');
  expect(draft.base_version).toBe(first);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await expect(page.getByTestId("policy-editor")).toHaveAttribute("data-editor-ready", "true", { timeout: 60_000 });
  await expect.poll(() => editorText(page)).toContain('name: "no echo"');
  await expect(page.getByTestId("draft-status")).toContainText("Draft saved on the server");
  await expect(page.getByRole("tab", { name: "Test cases (1)" })).toBeVisible();
  await expect(echo).toHaveAttribute("data-changed", "true");

  // The diff: side by side, the rule added, and the recorded echo call changing decision.
  await page.getByRole("tab", { name: "Diff" }).click();
  await expect(page.getByTestId("policy-diff-editor")).toHaveAttribute("data-editor-ready", "true", { timeout: 60_000 });
  await expect(page.getByTestId("diff-headline")).toContainText("no echo");
  await expect(page.getByTestId("diff-risk")).toContainText(/risk (low|medium|high|critical)/);
  await expect(page.getByRole("region", { name: "Rule changes (1)" })).toContainText("added");
  const changes = page.getByRole("table", { name: "Decision changes" });
  await expect(changes.getByRole("row").filter({ hasText: "probe.echo" })).toContainText("allow → deny");
  await page.screenshot({ path: testInfo.outputPath("policy-studio-1366.png"), fullPage: true });

  // Another author applies first (a script, without base_version: the seed's way still works)...
  const other = await request.post("/api/v1/policy/apply", {
    headers: bearer(token(tenant, "carol", "policy_author")),
    multipart: { strategy: "explicit", tenants_csv: tenant, policy: `${BASE_POLICY}${GOOD_RULE}# carol's version\n`, message: "carol: no echo too" },
  });
  expect(other.status(), await other.text()).toBe(200);
  const carols = ((await other.json()) as { version: { id: number } }).version.id;
  // ...so the studio's apply, based on the version the draft started from, is a conflict with the diff to merge.
  await page.getByRole("tab", { name: "Apply" }).click();
  await page.getByLabel("Message").fill("e2e: no echo");
  await page.getByRole("button", { name: "Apply to 1 pinned tenant(s)" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Apply refused" })).toContainText("409 base_version_conflict");
  await expect(page.getByTestId("apply-conflict")).toContainText(`version ${carols} became active`);
  expect((await activeOf(request, tenant)).version).toBe(carols);
  // The author reviews and keeps the draft (now based on carol's version), then applies.
  await page.getByRole("button", { name: "Keep my draft" }).click();
  await page.getByRole("button", { name: "Apply to 1 pinned tenant(s)" }).click();
  const applied = page.getByTestId("apply-result");
  await expect(applied).toContainText(/Applied version \d+/);
  const appliedVersion = Number((await applied.innerText()).match(/Applied version (\d+)/)![1]);
  expect(appliedVersion).toBeGreaterThan(first);
  await expect(applied).toContainText(`pinned ${tenant}`);
  await expect(applied).toContainText("Test cases: 1 of 1 pass");
  const now = await activeOf(request, tenant);
  expect(now.version).toBe(appliedVersion);
  expect(now.yaml).toContain('name: "no echo"');
  expect((await activeOf(request, PLATFORM_TENANT)).version).toBe(demoBefore.version);
  // The studio now counts the echo call's deny as the active decision.
  await expect(echo).toHaveAttribute("data-active-decision", "deny");
  await expect(echo).toHaveAttribute("data-changed", "false");

  // Roll back from the history.
  await page.getByRole("tab", { name: "History" }).click();
  const history = page.getByRole("list", { name: "Policy versions" });
  await expect(history.locator(`li[data-version="${appliedVersion}"]`)).toContainText("e2e: no echo");
  await page.getByLabel("Rollback message").fill("e2e: undo");
  await history.locator(`li[data-version="${first}"]`).getByRole("button", { name: `Roll back to v${first}` }).click();
  await page.getByRole("alertdialog", { name: "Confirm rollback" }).getByRole("button", { name: "Confirm rollback" }).click();
  await expect(page.getByTestId("rollback-result")).toContainText(`Rolled back to version ${first}`);
  expect((await activeOf(request, tenant)).version).toBe(first);
  // Every step is in the audit log: who, and the message.
  const auditChanges = ((await (await request.get("/api/v1/audit?kind=policy_change&limit=20", { headers: bearer(token(tenant, "auditor", "admin")) })).json()) as { records: { subject: string; reason: string; data: { message?: string | null; action?: string } }[] }).records;
  expect(auditChanges.map((r) => [r.subject, r.data.action, r.data.message ?? null])).toEqual(
    expect.arrayContaining([
      ["admin", "rollback", "e2e: undo"],
      ["admin", "apply", "e2e: no echo"],
      ["carol", "apply", "carol: no echo too"],
      ["admin", "test_case_created", null],
    ]),
  );
  await expect(echo).toHaveAttribute("data-active-decision", "allow");

  // An apply the server refuses shows its envelope inline: strategy all reaches other tenants.
  await page.getByRole("tab", { name: "Apply" }).click();
  await page.getByLabel("All tenants").check();
  await page.getByRole("button", { name: "Apply to all tenants" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Apply refused" })).toContainText("403 forbidden");
  expect((await activeOf(request, PLATFORM_TENANT)).version).toBe(demoBefore.version);

  // Both workers ran (no fallback to the main thread) and nothing failed in the console.
  expect(problems.filter((p) => /worker|monaco|requestHandler|Uncaught/i.test(p)), problems.join("\n")).toEqual([]);
  expect(problems.filter((p) => p.startsWith("pageerror")), problems.join("\n")).toEqual([]);
});

test("a platform author rolls the running policy out to a 10% canary and promotes it, from the browser", async ({ page, request }) => {
  test.setTimeout(240_000);
  // The demo tenant's own policy, unchanged: the canary and the promotion move no tenant to other rules.
  const before = await activeOf(request, PLATFORM_TENANT);
  await signIn(page);
  await openStudio(page, PLATFORM_TENANT);
  await expect(page.getByTestId("draft-status")).toContainText("No changes to the active policy");
  await page.getByRole("tab", { name: "Apply" }).click();
  await page.getByLabel("Canary percent of tenants").check();
  await page.getByLabel("Percent (1–100)").fill("10");
  await page.getByLabel("Message").fill("e2e: canary");
  await page.getByRole("button", { name: "Apply to a 10% canary" }).click();
  const applied = page.getByTestId("apply-result");
  await expect(applied).toContainText(`Applied version ${before.version} (reused)`);
  await expect(applied).toContainText("canary 10%");
  await applied.getByRole("button", { name: `Promote version ${before.version} to all tenants` }).click();
  await expect(page.getByTestId("promote-result")).toContainText(`Promoted version ${before.version} from canary to all tenants`);
  const versions = (await (await request.get("/api/v1/policy/versions?limit=50", { headers: bearer(token(PLATFORM_TENANT, "root", "admin")) })).json()) as { canary: unknown; versions: { id: number; rollouts: { strategy: string; canary_percent: number | null; in_effect: boolean }[] }[] };
  expect(versions.canary).toBeNull();
  const mine = versions.versions.find((v) => v.id === before.version)!;
  expect(mine.rollouts).toEqual(expect.arrayContaining([expect.objectContaining({ strategy: "all", in_effect: true }), expect.objectContaining({ strategy: "canary_percent", canary_percent: 10 })]));
  expect((await activeOf(request, PLATFORM_TENANT)).version).toBe(before.version);
  // The Policies page shows the rollout state: no canary in progress, the tenant on its version.
  await page.goto("/policies");
  await expect(page.getByTestId("rollout-state")).toContainText("No canary in progress");
  await expect(page.getByTestId("rollout-state")).toContainText(`v${before.version}`);
  await expect(page.getByTestId(`version-row-${before.version}`)).toContainText("all tenants by admin (in effect)");
});

test("a viewer sees the active policy read-only and cannot apply", async ({ page, request }) => {
  const { tenant } = await studioTenant(request, ["viewer"]);
  await signIn(page);
  await openStudio(page, tenant);
  await expect(page.getByTestId("draft-status")).toContainText("Read-only");
  await expect(page.getByTestId("read-only-note")).toContainText("policies.write");
  await expect(page.getByTestId("policy-editor")).toHaveAttribute("data-readonly", "true");
  await expect.poll(() => editorText(page)).toContain("probe writes need approval");
  const before = await editorText(page);
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.insertText("# a viewer typing");
  await expect(page.getByTestId("policy-editor").getByText("Read-only: your role cannot change policies")).toBeVisible();
  expect(await editorText(page)).toBe(before);
  await expect(page.getByTestId("sim-status")).toContainText("policies.simulate");
  await page.getByRole("tab", { name: "Apply" }).click();
  await expect(page.getByText("Applying needs the policies.apply permission")).toBeVisible();
  await expect(page.getByRole("button", { name: /^Apply to/ })).toHaveCount(0);
});

async function phoneContext(browser: Browser, baseURL: string | undefined): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
}

test("at 390 px the editor is full width and the panels stack below it", async ({ browser, request, baseURL }, testInfo) => {
  const { tenant } = await studioTenant(request, ["policy_author"]);
  const ctx = await phoneContext(browser, baseURL);
  const page = await ctx.newPage();
  await signIn(page);
  await openStudio(page, tenant);
  await expect(page.getByRole("list", { name: "Simulated calls" }).locator("li[data-decision='allow']").first()).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const editor = (await page.getByTestId("policy-editor").boundingBox())!;
  const panel = (await page.getByRole("heading", { name: "Live simulation" }).boundingBox())!;
  expect(editor.width).toBeGreaterThan(300);
  expect(panel.y).toBeGreaterThan(editor.y + editor.height);
  await page.screenshot({ path: testInfo.outputPath("policy-studio-390.png"), fullPage: true });
  await ctx.close();
});
