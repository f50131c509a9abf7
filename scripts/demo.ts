/**
 * `make demo` (seed 000 §6E): the approval + budget demo, end to end, against a real CanopyIQ.
 *
 *   1. start the stack: a production server (`next start`) on a temporary data dir
 *   2. configure tenant quotas and rate limits (and the approvers' roles, groups and Slack ids)
 *   3. trigger high-cost / risky operations that need approval
 *   4. approve (and deny) them through Slack's signed interactivity callback; the agent retries
 *   5. budget enforcement (and a rate limit)
 *   6. the other major features: health, simulate, diff, audit verify and offline export, OpenAPI
 *
 * Uses DATABASE_URL / REDIS_URL when set (a fresh database is created next to DATABASE_URL's and
 * dropped at the end), else embedded PGlite and the in-process store. Idempotent: every run starts
 * from nothing and removes what it created, also on Ctrl-C. Exits non-zero when any check fails.
 *
 *   node --import tsx scripts/demo.ts        (or: make demo)
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { adminQuery } from "@/lib/db/admin-query";
import { isMap, isSeq, parseDocument } from "yaml";
import type { z } from "zod";
import type { MemberView } from "@/lib/access/schemas";
import type { ApprovalView } from "@/lib/approvals/schemas";
import { TTL_INDEX_MARKER } from "@/lib/approvals/service";
import { signSlackRequest } from "@/lib/approvals/slack";
import type { VerifyResult } from "@/lib/audit/schemas";
import type { Verdict } from "@/lib/enforce/types";
import { env } from "@/lib/env";
import type { Health } from "@/lib/health";
import type { diffResponseSchema, simulateResponseSchema } from "@/lib/policy-store/schemas";
import type { TraceEntry } from "@/lib/policy";
import type { QuotaConfig } from "@/lib/quota/limits";

const ROOT = path.resolve(import.meta.dirname, "..");
const TENANT = "demo-tenant";
const HIGH_COST_RULE = "High-cost cloud operations need approval";
const HIGH_COST_USD = 75;
const DAILY_BUDGET_USD = 100;
const ESTIMATE_RPM = 3;
const started = Date.now();

// --- output -----------------------------------------------------------------------------------

const tty = process.stdout.isTTY === true;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint("1");
const green = paint("32");
const red = paint("31");
const dim = paint("2");

let currentStep = "";
/** Set by Ctrl-C: whatever is running stops at its next request and the cleanup takes over. */
let interrupted = false;
let checks = 0;
const failures: string[] = [];

function step(n: number, title: string) {
  if (interrupted) throw new DemoAbort("interrupted");
  currentStep = `${n}. ${title}`;
  console.log(`\n${bold(`━━ ${n}. ${title}`)}`);
}
const info = (s: string) => console.log(`    ${dim(s)}`);
const say = (s: string) => console.log(`  ${s}`);

/** One expectation: ✓ or ✗ with the key facts; a failure makes the demo exit non-zero. */
function check(ok: boolean, what: string, whyNot?: string): boolean {
  if (interrupted) return ok;
  checks++;
  if (ok) console.log(`  ${green("✓")} ${what}`);
  else {
    failures.push(`${currentStep}: ${what}`);
    console.log(`  ${red("✗")} ${what}${whyNot ? `\n      ${red(whyNot)}` : ""}`);
  }
  return ok;
}

/** A precondition of the rest of the demo: without it nothing after makes sense. */
class DemoAbort extends Error {}
function need<T>(value: T | null | undefined | false | "", what: string): T {
  if (!value) {
    if (interrupted) throw new DemoAbort("interrupted");
    check(false, what);
    throw new DemoAbort(what);
  }
  return value;
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const short = (s: string, max = 160) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

// --- the stack --------------------------------------------------------------------------------

let tmp: string | undefined;
let server: ChildProcess | undefined;
let demoDb: { adminUrl: string; name: string } | undefined;
let demoRedis: string | undefined;
let sweeperMarkerExisted: boolean | undefined;
let base = "";
const serverLines: string[] = [];
let childEnv: NodeJS.ProcessEnv = { NODE_ENV: "production" };
const cliChildren = new Set<ChildProcess>();

function remember(chunk: Buffer) {
  for (const line of chunk.toString("utf8").split("\n")) {
    if (line.trim()) serverLines.push(line);
  }
  if (serverLines.length > 400) serverLines.splice(0, serverLines.length - 400);
}

/**
 * With a shared Redis the tenant's rate-limit and budget counters would outlive the run (and make
 * a second run start over budget): the demo clears demo-tenant's counters before and after.
 */
async function clearQuotaCounters(url: string, opts: { sweeperMarker?: "remember" | "remove" } = {}): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    // The approval sweeper's "index built" marker: removed at the end only when this run created it.
    if (opts.sweeperMarker === "remember") sweeperMarkerExisted = (await client.exists(TTL_INDEX_MARKER)) === 1;
    if (opts.sweeperMarker === "remove" && sweeperMarkerExisted === false) await client.del(TTL_INDEX_MARKER);
    let cursor = "0";
    let n = 0;
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `canopy:q:{${TENANT}}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length) n += await client.del(...keys);
    } while (cursor !== "0");
    return n;
  } finally {
    client.disconnect();
  }
}

/** A port the system says is free now (port 0): no fixed range to collide with other servers. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", (err) => reject(new DemoAbort(`no free port: ${err.message}`)));
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

function waitExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (exited(c)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    c.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM to the server's process group (it and the upstream MCP servers it started), then SIGKILL. */
async function stopServer() {
  const s = server;
  if (!s?.pid || exited(s)) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-s.pid!, sig);
    } catch {
      // already gone
    }
  };
  kill("SIGTERM");
  if (!(await waitExit(s, 10_000))) {
    kill("SIGKILL");
    await waitExit(s, 5_000);
  }
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cliChildren) c.kill("SIGTERM");
    await stopServer().catch(() => {});
    if (demoDb) {
      await adminQuery(demoDb.adminUrl, `DROP DATABASE IF EXISTS "${demoDb.name}" WITH (FORCE)`).catch((e: Error) =>
        console.log(`  could not drop database ${demoDb!.name}: ${e.message}`),
      );
    }
    if (demoRedis) await clearQuotaCounters(demoRedis, { sweeperMarker: "remove" }).catch((e: Error) => console.log(`  could not clear ${TENANT}'s quota counters in Redis: ${e.message}`));
    if (tmp) {
      try {
        rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch (e) {
        console.log(`  could not remove ${tmp}: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (cleaning) return;
    interrupted = true;
    console.log(`\n${sig}: stopping the server and removing the demo's data…`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** `canopy …` (cli/canopy.mjs, what `npx canopy` runs) against the demo's data dir and database. */
function canopy(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    if (interrupted) return reject(new DemoAbort("interrupted"));
    const child = spawn(process.execPath, [path.join(ROOT, "cli/canopy.mjs"), ...args], { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    cliChildren.add(child);
    child.once("exit", () => cliChildren.delete(child));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

// --- HTTP -------------------------------------------------------------------------------------

interface Res<T> {
  status: number;
  body: T;
  text: string;
}

interface ApiError {
  error?: { code: string; message: string };
}

async function http<T>(method: string, p: string, opts: { token?: string; json?: unknown; form?: FormData; raw?: string; headers?: Record<string, string> } = {}): Promise<Res<T>> {
  if (interrupted) throw new DemoAbort("interrupted");
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else body = opts.form ?? opts.raw;
  const res = await fetch(base + p, { method, headers, body, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T, text };
}

interface ToolResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  _meta?: { canopyiq?: Verdict };
}

let rpcId = 0;
/** An MCP tools/call on /mcp, as an agent sends it; `approvalId` goes in `_meta.approval_id`. */
async function mcpCall(token: string, name: string, args: Record<string, unknown>, approvalId?: string) {
  const r = await http<{ result?: ToolResult; error?: { code: number; message: string } }>("POST", "/mcp", {
    token,
    headers: { accept: "application/json, text/event-stream" },
    json: { jsonrpc: "2.0", id: ++rpcId, method: "tools/call", params: { name, arguments: args, ...(approvalId ? { _meta: { approval_id: approvalId } } : {}) } },
  });
  const result = need(r.status === 200 && r.body.result, `/mcp tools/call ${name} answers (got ${r.status}: ${short(r.text, 300)})`);
  return { result, verdict: result._meta?.canopyiq, text: (result.content ?? []).map((c) => c.text ?? "").join("\n") };
}

async function enforce(token: string, tool: string, args: Record<string, unknown>, approvalId?: string): Promise<Verdict> {
  const r = await http<Verdict & ApiError>("POST", "/guard/enforce", { token, json: { tool, arguments: args, ...(approvalId ? { approval_id: approvalId } : {}) } });
  return need(r.status === 200 && r.body, `POST /guard/enforce ${tool} answers 200 (got ${r.status}: ${short(r.text, 300)})`);
}

let slackSecret = "";
/** A click on a Slack approval message's button, as Slack delivers it: a signed `payload=` form. */
async function slackClick(slackUser: string, action: "approve" | "deny", approvalId: string, opts: { secret?: string } = {}) {
  const payload = {
    type: "block_actions",
    user: { id: slackUser, team_id: "T0CANOPY1" },
    team: { id: "T0CANOPY1", domain: "canopyiq-demo" },
    api_app_id: "A0CANOPY1",
    channel: { id: "C0APPROVAL", name: "approvals" },
    trigger_id: `${Date.now()}.demo`,
    actions: [{ type: "button", action_id: action, block_id: `approval:${approvalId}`, value: approvalId, action_ts: String(Date.now() / 1000) }],
  };
  const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const headers = signSlackRequest(opts.secret ?? slackSecret, Math.floor(Date.now() / 1000), raw);
  return http<{ text?: string } & ApiError>("POST", "/approvals/slack/callback", { raw, headers: { ...headers, "content-type": "application/x-www-form-urlencoded" } });
}

async function approval(token: string, id: string): Promise<ApprovalView> {
  const r = await http<ApprovalView>("GET", `/v1/approvals/${encodeURIComponent(id)}`, { token });
  return need(r.status === 200 && r.body, `GET /v1/approvals/${id} answers 200 (got ${r.status})`);
}

const progress = (a: ApprovalView) =>
  `${a.approvals}/${a.required_approvals} approvals${a.approver_group ? ` from ${a.approver_group}` : ""}, status ${a.status}` +
  (a.votes.length ? ` (votes: ${a.votes.map((v) => `${v.approver} ${v.decision} via ${v.via}`).join(", ")})` : "");

// --- the demo ---------------------------------------------------------------------------------

interface Tokens {
  alice: string;
  bob: string;
  agent: string;
}

async function startStack(): Promise<void> {
  step(1, "Start the stack");
  if (!existsSync(path.join(ROOT, ".next/BUILD_ID"))) {
    say("no production build in .next: building it first (next build, a few minutes)…");
    const b = spawnSync(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "build"], {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    need(b.status === 0, "next build succeeded");
  }

  const e = env();
  tmp = mkdtempSync(path.join(tmpdir(), "canopyiq-demo-"));
  // Layout: the demo's upstreams.yaml sits in tmp, so the repo's relative `.data/sandbox` (resolved
  // from the upstreams file's folder) lands in tmp/.data, the demo's CANOPY_DATA_DIR.
  const dataDir = path.join(tmp, ".data");
  mkdirSync(dataDir);
  const policyPath = path.join(tmp, "policy.yaml");
  copyFileSync(path.join(ROOT, "policies/samples.yaml"), policyPath);
  const upstreamsPath = path.join(tmp, "upstreams.yaml");
  copyFileSync(path.join(ROOT, "upstreams.yaml"), upstreamsPath);
  // `package:` upstreams are found by walking up node_modules from the upstreams file's folder.
  symlinkSync(path.join(ROOT, "node_modules"), path.join(tmp, "node_modules"), "dir");

  let databaseUrl: string | undefined;
  if (e.DATABASE_URL) {
    const name = `canopy_demo_${randomBytes(5).toString("hex")}`;
    try {
      await adminQuery(e.DATABASE_URL, `CREATE DATABASE "${name}"`);
    } catch (err) {
      need(false, `a fresh database ${name} next to DATABASE_URL's (${(err as Error).message}); the demo needs CREATEDB there, or unset DATABASE_URL for the embedded database`);
    }
    demoDb = { adminUrl: e.DATABASE_URL, name };
    const u = new URL(e.DATABASE_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
  }

  if (e.REDIS_URL) {
    const n = await clearQuotaCounters(e.REDIS_URL, { sweeperMarker: "remember" }).catch((err: Error) => {
      need(false, `Redis at REDIS_URL answers (${err.message}); unset REDIS_URL for the in-process store`);
      return 0;
    });
    demoRedis = e.REDIS_URL;
    if (n) info(`cleared ${n} quota counters of ${TENANT} left in Redis by an earlier run`);
  }

  slackSecret = randomBytes(32).toString("hex");
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // The demo's own configuration; nothing CanopyIQ reads is inherited from the caller's shell.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(CANOPY_|POLICY_|SLACK_|APPROVAL_|AUDIT_|QUOTA_|NEXTAUTH_|OIDC_|DATABASE_|REDIS_)/.test(k) && !["HMAC_SECRET", "UPSTREAMS_PATH", "PORT", "NODE_ENV", "LOG_LEVEL"].includes(k),
    ),
  );
  childEnv = {
    ...inherited,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: String(port),
    NEXTAUTH_URL: base,
    LOG_LEVEL: "warn",
    CANOPY_DATA_DIR: dataDir,
    CANOPY_DEMO_TENANT: TENANT,
    CANOPY_ADMIN_PASSWORD: `demo-${randomBytes(9).toString("base64url")}`,
    POLICY_PATH: policyPath,
    UPSTREAMS_PATH: upstreamsPath,
    SLACK_SIGNING_SECRET: slackSecret,
    HMAC_SECRET: randomBytes(32).toString("base64url"),
    APPROVAL_SYNC_WAIT_MS: "0",
    // A short run still gets a few signed audit checkpoints.
    AUDIT_CHECKPOINT_EVERY: "10",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: "5" } : {}),
    ...(e.REDIS_URL ? { REDIS_URL: e.REDIS_URL } : {}),
  };
  info(`data dir  ${dataDir} (policy: copy of policies/samples.yaml, upstreams: copy of upstreams.yaml, sandbox ${path.join(dataDir, "sandbox")})`);
  info(`database  ${databaseUrl ? `postgres, fresh database ${demoDb!.name} next to DATABASE_URL's` : "embedded PGlite"}; kv ${e.REDIS_URL ? "Redis (REDIS_URL)" : "in-process"}`);
  info(`secrets   SLACK_SIGNING_SECRET and HMAC_SECRET generated for this run`);

  const t0 = Date.now();
  server = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: stopped with everything it started, never by the terminal's Ctrl-C
  });
  server.stdout!.on("data", remember);
  server.stderr!.on("data", remember);

  // Up to 3 minutes to start (a first start migrates); a server that answers but stays unhealthy for 30 s has a broken dependency.
  let health: Res<Health> | undefined;
  const deadline = Date.now() + 180_000;
  let unhealthySince: number | undefined;
  while (Date.now() < deadline && !exited(server) && !interrupted) {
    health = await http<Health>("GET", "/api/health").catch(() => undefined);
    if (health?.status === 200) break;
    if (health) unhealthySince ??= Date.now();
    if (unhealthySince && Date.now() - unhealthySince > 30_000) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  const failing = health?.body?.checks ? Object.entries(health.body.checks).filter(([, v]) => !v.ok).map(([k, v]) => `${k}: ${v.error ?? "not ok"}`).join("; ") : "";
  need(
    health?.status === 200,
    `CanopyIQ is up: GET /api/health answers 200 (${exited(server) ? `the server exited with ${server.exitCode ?? server.signalCode}` : `last answer ${health?.status ?? "none"}${failing ? ` — ${failing}` : ""}`})`,
  );
  const c = health!.body.checks;
  check(true, `CanopyIQ (next start) is up on ${base} in ${((Date.now() - t0) / 1000).toFixed(1)} s: db ${c.db.kind}, kv ${c.redis.kind}, policy version ${c.policy.version}, ${c.migrations.applied} migrations`);
  const banner = serverLines.filter((l) => /^\s{2}(CanopyIQ is ready|database|redis|tenant|policy)/.test(l));
  for (const l of banner) info(l.trim());
}

async function configure(): Promise<Tokens> {
  step(2, "Configure tenant quotas and rate limits");
  const mint = async (subject: string, roles: string) => {
    const r = await canopy(["mint-token", "--tenant", TENANT, "--subject", subject, "--roles", roles, "--ttl", "3600"]);
    return need(r.code === 0 && r.stdout.trim(), `canopy mint-token --subject ${subject} --roles ${roles} (exit ${r.code}: ${short(r.stderr.trim())})`);
  };
  const [alice, agent, bob] = await Promise.all([mint("alice", "admin,approver"), mint("agent-42", "agent"), mint("bob", "approver")]);
  check(true, "tokens minted with the CLI (npx canopy mint-token): alice admin,approver · agent-42 agent · bob approver");

  const users: [string, object][] = [
    ["bob", { roles: ["approver", "viewer"], groups: ["secops"], slack_user_id: "U0BOB0001" }],
    // alice also sits in finops, the approver group of the high-cost cloud rule.
    ["alice", { roles: ["admin", "approver"], groups: ["secops", "finops"], slack_user_id: "U0ALICE01" }],
  ];
  for (const [user, body] of users) {
    const r = await http<MemberView & ApiError>("PUT", `/admin/rbac/${TENANT}/users/${user}`, { token: alice, json: body });
    check(
      r.status === 200 && r.body.slack_user_id !== null,
      `PUT /admin/rbac/${TENANT}/users/${user} → roles ${r.body.roles?.join(",")}, groups ${r.body.groups?.join(",")}, Slack ${r.body.slack_user_id}`,
      `got ${r.status}: ${short(r.text, 300)}`,
    );
  }

  const quotas = { requests_per_minute: 120, max_concurrent: 10, daily_budget_usd: DAILY_BUDGET_USD, monthly_budget_usd: 1000, tools: { "cloud.estimate": { requests_per_minute: ESTIMATE_RPM } } };
  const q = await http<QuotaConfig & ApiError>("PUT", `/admin/tenants/${TENANT}/quotas`, { token: alice, json: quotas });
  check(
    q.status === 200 && q.body.daily_budget_usd === DAILY_BUDGET_USD,
    `PUT /admin/tenants/${TENANT}/quotas → ${q.body.requests_per_minute} requests/min, ${q.body.max_concurrent} concurrent, daily budget ${usd(q.body.daily_budget_usd ?? NaN)}, monthly ${usd(q.body.monthly_budget_usd ?? NaN)}; cloud.estimate ${q.body.tools?.["cloud.estimate"]?.requests_per_minute} requests/min`,
    `got ${q.status}: ${short(q.text, 300)}`,
  );
  return { alice, bob, agent };
}

interface Pending {
  cloud: string;
  write: string;
  writeArgs: Record<string, unknown>;
  cloudArgs: Record<string, unknown>;
}

async function trigger(t: Tokens): Promise<Pending> {
  step(3, "Trigger a high-cost operation requiring approval");
  const list = await http<{ result?: { tools: { name: string }[] } }>("POST", "/mcp", {
    token: t.agent,
    headers: { accept: "application/json, text/event-stream" },
    json: { jsonrpc: "2.0", id: ++rpcId, method: "tools/list" },
  });
  const names = list.body.result?.tools.map((x) => x.name) ?? [];
  check(names.includes("cloud.estimate") && names.includes("fs.write"), `agent-42 tools/list: ${names.length} tools (${short(names.join(", "), 120)})`, `got ${list.status}: ${short(list.text, 300)}`);

  const est = await mcpCall(t.agent, "cloud.estimate", { provider: "aws", action: "ec2.run_instances", units: 10 });
  const e = (est.result.structuredContent ?? {}) as { estimated_cost_usd?: number; unit_price_usd?: number; unit?: string; price_source?: string };
  check(
    !est.result.isError && typeof e.estimated_cost_usd === "number",
    `cloud.estimate aws ec2.run_instances × 10 → ${usd(e.estimated_cost_usd ?? NaN)} (${usd(e.unit_price_usd ?? NaN)} per ${e.unit ?? "unit"}; decision ${est.verdict?.decision}, rule "${est.verdict?.rule}")`,
    short(est.text, 300),
  );

  const cloudArgs = { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: HIGH_COST_USD };
  const v = await enforce(t.agent, "cloud.ops", cloudArgs);
  check(v.decision === "approval" && v.rule === HIGH_COST_RULE && Boolean(v.approval?.id), `POST /guard/enforce cloud.ops ${usd(HIGH_COST_USD)} → ${v.decision} by rule "${v.rule}"`, `got ${v.decision} by ${v.rule}: ${v.reason}`);
  info(`reason: ${v.reason}; approval ${v.approval?.id} (${v.approval?.approvals}/${v.approval?.required_approvals} from ${v.approval?.approver_group}); audit seq ${v.audit?.seq}`);

  const writeArgs = { path: "/sandbox/demo-report.txt", content: `CanopyIQ demo report\nwritten by agent-42 after dual approval at ${new Date().toISOString()}\n` };
  const w = await mcpCall(t.agent, "fs.write", writeArgs);
  const wa = w.verdict?.approval;
  check(
    w.result.isError === true && w.verdict?.decision === "approval" && wa?.required_approvals === 2 && wa.approver_group === "secops",
    `MCP fs.write /sandbox/demo-report.txt (outside the jail /sandbox/tmp, /sandbox/out) → ${w.verdict?.decision}: ${wa?.required_approvals} approvals from ${wa?.approver_group}`,
    short(w.text, 300),
  );
  info(short(w.text, 400));
  return { cloud: need(v.approval?.id, "the cloud.ops approval has an id"), write: need(wa?.id, "the fs.write approval has an id"), writeArgs, cloudArgs };
}

async function approve(t: Tokens, p: Pending) {
  step(4, "Simulate approval via signed callback (Slack interactivity)");
  const forged = await slackClick("U0ALICE01", "approve", p.write, { secret: "not-the-signing-secret" });
  check(forged.status === 401, `a callback with a forged signature is refused: ${forged.status} ${forged.body.error?.code ?? ""}`, short(forged.text, 200));
  const before = await approval(t.alice, p.write);
  check(before.status === "pending" && before.approvals === 0, `the forged click counted for nothing: ${progress(before)}`);

  // fs.write: two secops approvers (N-of-M), then the agent's retry runs once.
  say(bold(`fs.write ${p.write}`));
  const a1 = await slackClick("U0ALICE01", "approve", p.write);
  check(a1.status === 200 && /1 of 2/.test(a1.body.text ?? ""), `Slack U0ALICE01 (alice) clicks Approve → "${a1.body.text}"`, short(a1.text, 300));
  const mid = await approval(t.alice, p.write);
  check(mid.status === "pending" && mid.approvals === 1 && mid.remaining_approvals === 1, `progress: ${progress(mid)}`);

  const early = await mcpCall(t.agent, "fs.write", p.writeArgs, p.write);
  check(
    early.result.isError === true && early.verdict?.decision !== "allow",
    `a retry before the second approval does not run: ${early.verdict?.decision}, ${early.verdict?.approval?.approvals}/${early.verdict?.approval?.required_approvals} approvals`,
    short(early.text, 300),
  );

  const a2 = await slackClick("U0BOB0001", "approve", p.write);
  check(a2.status === 200 && /now approved/.test(a2.body.text ?? ""), `Slack U0BOB0001 (bob) clicks Approve → "${a2.body.text}"`, short(a2.text, 300));
  const done = await approval(t.alice, p.write);
  check(done.status === "approved" && done.approvals === 2, `progress: ${progress(done)}`);

  const run = await mcpCall(t.agent, "fs.write", p.writeArgs, p.write);
  check(!run.result.isError && run.verdict?.decision === "allow", `agent-42 retries with _meta.approval_id → ${run.verdict?.decision}; upstream says "${short(run.text.trim(), 100)}"`, short(run.text, 300));
  info(`reason: ${short(run.verdict?.reason ?? "", 200)}`);
  const read = await mcpCall(t.agent, "fs.read", { path: "/sandbox/demo-report.txt" });
  check(!read.result.isError && read.text === p.writeArgs.content, `fs.read /sandbox/demo-report.txt returns exactly what was approved (${read.text.length} chars, rule "${read.verdict?.rule}")`, short(read.text, 300));
  // Each tenant has its own jail: /sandbox of demo-tenant is .data/sandbox/demo-tenant.
  const onDisk = path.join(tmp!, `.data/sandbox/${TENANT}/demo-report.txt`);
  check(existsSync(onDisk) && readFileSync(onDisk, "utf8") === p.writeArgs.content, `the file is on disk in the sandbox: ${onDisk}`);
  const replay = await mcpCall(t.agent, "fs.write", p.writeArgs, p.write);
  check(replay.result.isError === true && replay.verdict?.decision === "deny", `a second retry with the same approval is refused (replay protection): ${replay.verdict?.error?.code ?? replay.verdict?.decision}`, short(replay.text, 300));
  info(short(replay.verdict?.reason ?? replay.text, 200));

  // cloud.ops: one finops approval; the approval binds the exact call (tool, subject, arguments).
  say(bold(`cloud.ops ${p.cloud}`));
  const a3 = await slackClick("U0ALICE01", "approve", p.cloud);
  check(a3.status === 200 && /now approved/.test(a3.body.text ?? ""), `Slack U0ALICE01 (alice, finops) clicks Approve → "${a3.body.text}"`, short(a3.text, 300));
  const swapped = await enforce(t.agent, "cloud.ops", { ...p.cloudArgs, action: "run_instances", resource: "ec2", estimated_cost_usd: HIGH_COST_USD + 1000 }, p.cloud);
  check(swapped.decision !== "allow", `the approval binds the exact call: a retry with other arguments (${usd(HIGH_COST_USD + 1000)}) is refused: ${swapped.decision}, ${swapped.error?.code ?? swapped.reason}`);
  const ran = await enforce(t.agent, "cloud.ops", p.cloudArgs, p.cloud);
  check(ran.decision === "allow", `agent-42 retries the exact ${usd(HIGH_COST_USD)} cloud.ops with approval_id → ${ran.decision} (${usd(ran.estimated_cost_usd)} charged to the daily budget)`, ran.reason ?? "");

  // Deny precedence: one Deny rejects at once, whatever approvals came before.
  say(bold("Deny"));
  const denyArgs = { path: "/sandbox/config/prod.env", content: "DEBUG=true\n" };
  const d = await mcpCall(t.agent, "fs.write", denyArgs);
  const did = need(d.verdict?.approval?.id, `fs.write ${denyArgs.path} needs approval (got ${short(d.text, 200)})`);
  info(`agent-42 asks for fs.write ${denyArgs.path} → approval ${did} (0/2 from secops)`);
  const b1 = await slackClick("U0BOB0001", "approve", did);
  check(b1.status === 200 && /1 of 2/.test(b1.body.text ?? ""), `bob approves → "${b1.body.text}"`, short(b1.text, 300));
  const deny = await slackClick("U0ALICE01", "deny", did);
  check(deny.status === 200 && /now rejected/.test(deny.body.text ?? ""), `alice clicks Deny → "${deny.body.text}"`, short(deny.text, 300));
  const rejected = await approval(t.alice, did);
  check(rejected.status === "rejected", `rejected immediately despite bob's approval: ${progress(rejected)}`);
  const retry = await mcpCall(t.agent, "fs.write", denyArgs, did);
  check(retry.result.isError === true && retry.verdict?.decision === "deny", `the agent's retry is refused: ${short(retry.verdict?.reason ?? retry.text, 120)}`);
  check(!existsSync(path.join(tmp!, `.data/sandbox/${TENANT}/config/prod.env`)), "nothing was written");
}

async function budgets(t: Tokens) {
  step(5, "Demonstrate budget enforcement");
  const q = await http<QuotaConfig>("GET", `/admin/tenants/${TENANT}/quotas`, { token: t.alice });
  info(`daily budget ${usd(q.body.daily_budget_usd ?? NaN)}; the approved ${usd(HIGH_COST_USD)} operation already spent part of it`);
  // Calls at or under the rule's threshold are allowed without approval, and spend the budget.
  const small = 8;
  // A priced action with a tiny catalog price: the stated cost (which can only raise the catalog's) is what each call spends.
  const args = (cost: number) => ({ provider: "aws", action: "s3.put_object", estimated_cost_usd: cost });
  let allowed = 0;
  let denial: Verdict | undefined;
  for (let i = 0; i < 40 && !denial; i++) {
    const v = await enforce(t.agent, "cloud.ops", args(small));
    if (v.decision === "allow") {
      allowed++;
      say(`${green("✓")} cloud.ops ${usd(small)} #${i + 1} → allow (rule "${v.rule}")`);
    } else denial = v;
  }
  const l = denial?.limit;
  check(
    l?.limit === "daily_budget_usd" && Boolean(l.resets_at),
    `cloud.ops ${usd(small)} #${allowed + 1} → ${denial?.decision} by ${denial?.rule}: ${l ? `${usd(l.current)} of ${usd(l.limit_value)} spent, resets at ${l.resets_at}` : "no limit"}`,
    denial ? `${denial.decision}: ${denial.reason}` : "no call was denied",
  );
  if (l) info(l.message);
  if (l) {
    check(l.current + small > l.limit_value && l.current <= l.limit_value, `allowed spend stays within the budget: ${usd(l.current)} + ${usd(small)} would exceed ${usd(l.limit_value)}`);
    const remaining = Math.round((l.limit_value - l.current) * 100) / 100;
    if (remaining > 0) {
      const fit = await enforce(t.agent, "cloud.ops", args(remaining));
      check(fit.decision === "allow", `a ${usd(remaining)} call still fits exactly (the denied call spent nothing) → ${fit.decision}`, fit.reason ?? "");
    }
    const over = await enforce(t.agent, "cloud.ops", args(0.5));
    check(over.decision === "deny" && over.limit?.limit === "daily_budget_usd", `with the budget used up even ${usd(0.5)} is denied: ${over.rule}`);
  }

  // A rate limit: cloud.estimate is limited to ESTIMATE_RPM calls a minute for this tenant.
  let rl: Verdict | undefined;
  let ok = 0;
  for (let i = 0; i < ESTIMATE_RPM + 2 && !rl; i++) {
    const r = await mcpCall(t.agent, "cloud.estimate", { provider: "aws", action: "ec2.run_instances", units: 1 });
    if (r.verdict?.decision === "deny") rl = r.verdict;
    else ok++;
  }
  check(
    rl?.limit?.limit === "requests_per_minute",
    `rate limit: cloud.estimate (${ESTIMATE_RPM}/min, one call already made in step 3) — ${ok} more allowed, the next → ${rl?.decision} by ${rl?.rule}, resets at ${rl?.limit?.resets_at}`,
    rl ? `${rl.decision}: ${rl.reason}` : `no call was denied after ${ok} calls`,
  );
}

type SimulateResponse = z.infer<typeof simulateResponseSchema>;
type DiffResponse = z.infer<typeof diffResponseSchema>;

async function features(t: Tokens) {
  step(6, "Test all major features");
  const h = await http<Health>("GET", "/health");
  check(h.status === 200 && h.body.status === "ok", `GET /health → ${h.status} ${h.body.status}: ${Object.entries(h.body.checks ?? {}).map(([k, v]) => `${k} ${v.ok ? "ok" : "FAIL"}`).join(", ")}`);

  const s = await http<SimulateResponse>("POST", "/v1/policy/simulate", {
    token: t.alice,
    json: { tool: "cloud.ops", arguments: { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 } },
  });
  const sd = s.body.decision;
  check(
    s.status === 200 && sd?.decision === "approval" && sd.rule === HIGH_COST_RULE,
    `POST /v1/policy/simulate (seed §6B body) → ${sd?.decision} by "${sd?.rule}" (policy v${sd?.policy_version})`,
    short(s.text, 300),
  );
  for (const e of (sd?.trace ?? []) as TraceEntry[]) {
    if (e.kind === "rule") {
      const conds = e.conditions.map((c) => `${c.condition} expected ${JSON.stringify(c.expected)}, actual ${JSON.stringify(c.actual)} ${c.held ? "✓" : "✗"}`).join("; ");
      info(`trace: rule #${e.index} "${e.name}" (match ${e.pattern}) ${e.matched ? "matched" : "did not match"}${conds ? `: ${conds}` : ""}`);
    } else info(`trace: ${e.kind === "default" ? `default ${e.decision}` : `error ${e.message}`}`);
  }

  // A proposal that raises the approval threshold from the samples' value to $100.
  const doc = parseDocument(readFileSync(path.join(tmp!, "policy.yaml"), "utf8"));
  const rules = doc.get("rules");
  const rule = isSeq(rules) ? rules.items.find((r) => isMap(r) && r.get("name") === HIGH_COST_RULE) : undefined;
  need(isMap(rule) && rule, `the sample policy has the rule "${HIGH_COST_RULE}"`).setIn(["where", "estimated_cost_usd_over"], 100);
  const proposedPath = path.join(tmp!, "proposed.yaml");
  writeFileSync(proposedPath, doc.toString());
  const form = new FormData();
  form.append("proposed", new Blob([readFileSync(proposedPath)], { type: "application/yaml" }), "proposed.yaml");
  const d = await http<DiffResponse>("POST", "/v1/policy/diff", { token: t.alice, form });
  check(d.status === 200 && typeof d.body.headline === "string", `POST /v1/policy/diff -F proposed=@proposed.yaml (approval threshold raised to $100) → risk ${d.body.risk?.level}`, short(d.text, 300));
  info(`headline: ${d.body.headline}`);
  if (d.body.decision_changes) info(`replayed ${d.body.decision_changes.replayed} recorded calls: ${d.body.decision_changes.changed} decisions would change ${JSON.stringify(d.body.decision_changes.by_transition)}`);

  const v = await http<VerifyResult>("GET", "/v1/audit/verify", { token: t.alice });
  check(v.status === 200 && v.body.ok === true, `GET /v1/audit/verify → ${v.body.ok ? `OK: ${v.body.count} records, head seq ${v.body.head_seq}, ${v.body.checkpoints_verified} signed checkpoints` : short(v.text, 200)}`);

  const o = await http<{ openapi?: string; info?: { title?: string; version?: string }; paths?: object }>("GET", "/api/openapi.json");
  check(o.status === 200 && Boolean(o.body.info?.title), `GET /api/openapi.json → "${o.body.info?.title}" ${o.body.info?.version} (OpenAPI ${o.body.openapi}, ${Object.keys(o.body.paths ?? {}).length} paths)`);

  const m = await http<string>("GET", "/metrics", { token: t.alice });
  const decisions = typeof m.body === "string" ? m.body.split("\n").filter((l) => l.startsWith("canopy_decisions_total{") && l.includes(TENANT)) : [];
  check(m.status === 200 && decisions.length > 0, `GET /metrics → ${decisions.map((l) => l.replace(/^.*decision="([^"]+)".*\s(\S+)$/, "$2 $1")).join(", ")}`);

  // The CLI opens the database itself; embedded PGlite allows one process, so stop the server first.
  if (!childEnv.DATABASE_URL) {
    say("stopping the server: the CLI opens the embedded database itself, and PGlite allows one process…");
    await stopServer();
  }
  const exportPath = path.join(tmp!, "audit.jsonl");
  const ex = await canopy(["audit", "export", "--tenant", TENANT, "--out", exportPath]);
  check(ex.code === 0 && existsSync(exportPath), `npx canopy audit export --tenant ${TENANT} --out audit.jsonl → ${ex.stderr.trim() || ex.stdout.trim()}`);
  const secrets = JSON.parse(readFileSync(path.join(tmp!, ".data/secrets.json"), "utf8")) as { auditPublicKeyPem: string };
  const keyPath = path.join(tmp!, "audit-public.pem");
  writeFileSync(keyPath, secrets.auditPublicKeyPem);
  const ok = await canopy(["audit", "verify", "--from-export", exportPath, "--public-key", keyPath]);
  check(ok.code === 0 && ok.stdout.startsWith("OK"), `npx canopy audit verify --from-export audit.jsonl --public-key audit-public.pem (offline) → ${ok.stdout.trim().replace(`${exportPath} `, "")}`, ok.stderr.trim());

  // Tamper with one decision in a copy of the export: the offline check finds it.
  if (existsSync(exportPath)) {
    const lines = readFileSync(exportPath, "utf8").split("\n");
    const i = lines.findIndex((l) => l.includes('"type":"record"') && l.includes('"decision":"deny"'));
    if (i >= 0) {
      const rec = JSON.parse(lines[i]) as Record<string, unknown>;
      rec.decision = "allow";
      lines[i] = JSON.stringify(rec);
      const tampered = path.join(tmp!, "audit-tampered.jsonl");
      writeFileSync(tampered, lines.join("\n"));
      const bad = await canopy(["audit", "verify", "--from-export", tampered, "--public-key", keyPath]);
      check(bad.code === 1 && bad.stdout.startsWith("BROKEN"), `a copy with one deny turned into allow (seq ${rec.seq}) fails offline verification → ${short(bad.stdout.trim().replace(`${tampered} `, ""), 140)}`);
    }
  }
}

async function main() {
  console.log(bold("CanopyIQ demo (seed 000 §6E): approvals, signed Slack callbacks, budgets and the major features"));
  let tokens: Tokens;
  try {
    await startStack();
    tokens = await configure();
    const pending = await trigger(tokens);
    await approve(tokens, pending);
    await budgets(tokens);
    await features(tokens);
  } catch (err) {
    if (interrupted) {
      await cleanup();
      process.exit(130);
    }
    if (!(err instanceof DemoAbort)) {
      failures.push(`${currentStep}: ${(err as Error).stack ?? String(err)}`);
      console.log(`  ${red("✗")} ${(err as Error).message}`);
    }
  }
  if (failures.length && serverLines.length) {
    console.log(`\n${dim("last lines of the server's output:")}`);
    for (const l of serverLines.slice(-40)) console.log(`    ${dim(l)}`);
  }
  console.log(`\n${dim("cleaning up: stopping the server, removing the temporary data dir…")}`);
  await cleanup();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length === 0) {
    console.log(`\n${green(bold(`✓ demo passed: ${checks} checks in ${secs} s`))}`);
    process.exit(0);
  }
  console.log(`\n${red(bold(`✗ demo failed in ${secs} s: ${failures.length} failure${failures.length === 1 ? "" : "s"} (${checks} checks run)`))}`);
  for (const f of failures) console.log(`  ${red("-")} ${f.split("\n")[0]}`);
  process.exit(1);
}

await main();
