import { availableParallelism } from "node:os";
import { Admission } from "@/lib/data-plane/admission";
import { createMcpRelayServices } from "@/lib/mcp/relay/services";
import { RefusalAudit } from "@/lib/data-plane/refusal-audit";
import { AccessEvents } from "@/lib/access/events";
import { createApprovalService, ApprovalEvents, type ApprovalService } from "@/lib/approvals";
import { AuditLog, decisionOk, jsonlSink, redactionConfig, Redactor } from "@/lib/audit";
import { createAuthenticator } from "@/lib/auth/authenticate";
import { resolveOidcSignIn } from "@/lib/access/oidc-sign-in";
import { createAuthOptions } from "@/lib/auth/next-auth";
import { createTokenGuard } from "@/lib/auth/token-guard";
import { tokenKeysOf } from "@/lib/auth/token-keys";
import { systemClock } from "@/lib/clock";
import { type Db, openAppDb } from "@/lib/db";
import { createGateway } from "@/lib/enforce/gateway";
import type { ChatApprovals } from "@/lib/mcp/methods/chat-approval";
import { createRequestStateSealer } from "@/lib/mcp/request-state";
import { envSecret, publicUrl, type Env } from "@/lib/env";
import { createLogger } from "@/lib/log";
import { createUpstreamRegistry, upstreamNetwork } from "@/lib/mcp/upstreams/default-registry";
import { createMetrics } from "@/lib/metrics";
import { createActivePolicies } from "@/lib/policy-store/active";
import { createCompiledDraftCache } from "@/lib/policy-store/compiled-cache";
import { QuotaService } from "@/lib/quota";
import { openKv } from "@/lib/redis";
import { loadSecrets } from "@/lib/secrets";
import { createSlackApp, createSlackWebClient, parseChannelMap, slackNotifier, type SlackApp } from "@/lib/slack";
import { accessRecordOf, approvalLineOf, auditRecordOf, loginRecordOf } from "./event-audit";
import { createBuiltins, createOpsPolicy, createPipelineDeps } from "./gateway";
import { createOps } from "@/lib/ops/service";
import { opsConfig } from "@/lib/ops/config";
import { envSecretResolver } from "@/lib/ops/secrets";
import { prismaTargetStore } from "@/lib/ops/store";
import { createEmergency, prismaEmergencyStore } from "@/lib/ops/emergency";
import type { ServiceOverrides, Services } from "./types";

type Lazy<T> = (() => T) & { built(): boolean };

/** Builds on first read, then keeps the value (the Services object owns it, not a module). */
function once<T>(build: () => T): Lazy<T> {
  let done = false;
  let value: T;
  const get = () => {
    if (!done) {
      value = build();
      done = true;
    }
    return value;
  };
  return Object.assign(get, { built: () => done });
}

/** Like once(), for a promise: a rejected build is forgotten so the next use retries (database down at start). */
function oncePromise<T>(build: () => Promise<T>): Lazy<Promise<T>> {
  let p: Promise<T> | undefined;
  const get = () => {
    p ??= build().catch((err) => {
      p = undefined;
      throw err;
    });
    return p;
  };
  return Object.assign(get, { built: () => p !== undefined });
}

/**
 * The composition root: every long-lived service of one process, built from the validated env.
 * Route handlers get it from withAuth, the CLI and scripts build their own, tests build theirs
 * with fakes in `overrides`. Nothing here is global; see ./index.ts for the one process slot.
 */
export function createServices(env: Env, overrides: Partial<ServiceOverrides> = {}): Services {
  const clock = overrides.clock ?? systemClock;
  const log = once(() => overrides.log ?? createLogger(env.LOG_LEVEL));
  const secrets = once(() => overrides.secrets ?? loadSecrets(env));
  const dbOverride = overrides.db;
  const db = oncePromise<Db>(() => (dbOverride === undefined ? openAppDb(env) : typeof dbOverride === "function" ? dbOverride() : Promise.resolve(dbOverride)));
  const kv = once(() => overrides.kv ?? openKv(env.REDIS_URL, env.REDIS_COMMAND_TIMEOUT_MS));
  const redaction = once(() => redactionConfig(env.AUDIT_REDACT_KEYS, env.AUDIT_REDACT_VALUE_PATTERNS));
  const redactor = once(() => new Redactor(secrets().hmacSecret, redaction()));
  // Seed 004's AUDIT_PATH / APPROVALS_PATH: JSON-lines copies after the durable write (Postgres stays the truth).
  const auditFile = env.AUDIT_PATH ? jsonlSink(env.AUDIT_PATH, { maxBytes: env.JSONL_MAX_BYTES, log: { warn: (o, m) => log().child({ module: "audit-file" }).warn(o, m) } }) : null;
  const approvalsFile = env.APPROVALS_PATH ? jsonlSink(env.APPROVALS_PATH, { maxBytes: env.JSONL_MAX_BYTES, log: { warn: (o, m) => log().child({ module: "approvals-file" }).warn(o, m) } }) : null;
  const audit = once(
    () =>
      overrides.audit ??
      new AuditLog({
        db,
        privateKeyPem: secrets().auditPrivateKeyPem,
        publicKeyPem: secrets().auditPublicKeyPem,
        extraPublicKeys: secrets().auditPreviousPublicKeyPems,
        redactionSecret: secrets().hmacSecret,
        redaction: redaction(),
        checkpointEvery: env.AUDIT_CHECKPOINT_EVERY,
        checkpointSeconds: env.AUDIT_CHECKPOINT_SECONDS,
        timeoutMs: env.AUDIT_APPEND_TIMEOUT_MS,
        verifyWorkers: env.AUDIT_VERIFY_WORKERS ?? Math.min(availableParallelism(), 8),
        now: () => clock.now(),
        onBackgroundError: (err, what) => log().error({ err }, `${what} failed`),
        onAppended: auditFile ? (record) => auditFile.write({ ...record, ok: decisionOk(record.decision) }) : undefined,
      }),
  );
  // Approval and membership events become audit records here: neither domain imports the audit log.
  const approvalEvents = new ApprovalEvents();
  approvalEvents.on(async (e) => {
    if (approvalsFile) {
      const line = approvalLineOf(e, clock.now());
      if (line) approvalsFile.write(line);
    }
    await audit().append(auditRecordOf(e));
  });
  const accessEvents = new AccessEvents();
  accessEvents.on((e) => audit().append(accessRecordOf(e)).then(() => undefined));
  // Slack: one Web API client (bot token) for the approval messages and the app; webhook-only without one.
  const slackWeb = once(() => (env.SLACK_BOT_TOKEN ? createSlackWebClient({ botToken: env.SLACK_BOT_TOKEN, apiBaseUrl: env.SLACK_API_BASE_URL }) : null));
  const slackNotify = () =>
    env.SLACK_BOT_TOKEN || env.SLACK_WEBHOOK_URL
      ? slackNotifier({ web: slackWeb(), webhookUrl: env.SLACK_WEBHOOK_URL, defaultChannel: env.SLACK_APPROVAL_CHANNEL, channels: parseChannelMap(env.SLACK_APPROVAL_CHANNELS), consoleUrl: publicUrl() })
      : null;
  const approvals = oncePromise<ApprovalService>(async () =>
    overrides.approvals
      ? overrides.approvals()
      : createApprovalService({
        prisma: (await db()).prisma,
        kv: kv(),
        hmacSecret: secrets().hmacSecret,
        redaction: redaction(),
        notifier: slackNotify(),
        events: approvalEvents,
        now: () => clock.nowMs(),
          log: log().child({ module: "approvals" }),
          legacyApprovalCode: env.APPROVAL_CODE_LEGACY ? (env.APPROVAL_CODE ?? null) : null,
          codeAttempts: { perApproval: env.APPROVAL_CODE_MAX_FAILURES_PER_APPROVAL, perCaller: env.APPROVAL_CODE_MAX_FAILURES_PER_CALLER, windowMs: env.APPROVAL_CODE_THROTTLE_WINDOW_SECONDS * 1000 },
        }),
  );
  // The Bolt app only with a signing secret: without one nothing from Slack can be trusted.
  const signingSecret = env.SLACK_SIGNING_SECRET;
  const slack = oncePromise<SlackApp | null>(async () =>
    signingSecret
      ? createSlackApp({
          signingSecret,
          approvals: await approvals(),
          prisma: (await db()).prisma,
          kv: kv(),
          web: slackWeb(),
          apiBaseUrl: env.SLACK_API_BASE_URL,
          consoleUrl: publicUrl(),
          nowSeconds: () => Math.floor(clock.nowMs() / 1000),
          log: log().child({ module: "slack" }),
        })
      : null,
  );
  const quotas = once(
    () =>
      overrides.quotas ??
      new QuotaService({
        kv: kv(),
        prisma: async () => (await db()).prisma,
        // A little over one Redis command timeout: the store's own timeout answers first when it can.
        timeoutMs: env.REDIS_COMMAND_TIMEOUT_MS + 500,
        clock: () => clock.nowMs(),
      }),
  );
  const upstreams = once(() => overrides.upstreams ?? createUpstreamRegistry(env, db, log(), (input) => audit().append(input)));
  const policies = once(() => createActivePolicies(db));
  const compiledDrafts = once(() => createCompiledDraftCache());
  const metrics = once(createMetrics);
  const admission = once(() => new Admission({ maxInFlight: env.DATA_PLANE_MAX_IN_FLIGHT }));
  const tokenGuard = once(() => createTokenGuard(kv(), db));
  const tokenKeys = once(() => tokenKeysOf(secrets(), env));
  const authOptions = once(() =>
    createAuthOptions({ env, nextauthSecret: secrets().nextauthSecret, kv: kv(), db, log: log(), onLogin: (e) => audit().append(loginRecordOf(e)),
      resolveOidc: (claims, rules) => resolveOidcSignIn({ db, audit: audit() }, claims, rules),
    }),
  );
  const auth = once(() => overrides.auth ?? createAuthenticator({ tokenKeys: tokenKeys(), tokenGuard: tokenGuard(), db, authOptions, scrapeToken: env.METRICS_SCRAPE_TOKEN ? { token: env.METRICS_SCRAPE_TOKEN, tenant: env.CANOPY_PLATFORM_TENANT ?? env.CANOPY_DEMO_TENANT } : undefined }));

  const stops: (() => unknown)[] = [];
  let started = false;

  const svc: Services = {
    env,
    clock,
    get log() {
      return log();
    },
    get secrets() {
      return secrets();
    },
    get tokenKeys() {
      return tokenKeys();
    },
    db,
    get kv() {
      return kv();
    },
    get redaction() {
      return redaction();
    },
    get redactor() {
      return redactor();
    },
    get audit() {
      return audit();
    },
    approvals,
    slack,
    approvalEvents,
    accessEvents,
    get quotas() {
      return quotas();
    },
    get upstreams() {
      return upstreams();
    },
    get upstreamAdmin() {
      return upstreamAdmin();
    },
    get policies() {
      return policies();
    },
    get compiledDrafts() {
      return compiledDrafts();
    },
    get metrics() {
      return metrics();
    },
    get tokenGuard() {
      return tokenGuard();
    },
    get authOptions() {
      return authOptions();
    },
    get auth() {
      return auth();
    },
    get builtins() {
      return builtins();
    },
    get ops() {
      return ops();
    },
    get emergency() {
      return emergency();
    },
    get opsAdmin() {
      return { ops: ops(), db, audit: (input: Parameters<typeof svc.audit.append>[0]) => audit().append(input) };
    },
    get mcpRequestState() {
      return mcpRequestState();
    },
    get gateway() {
      return gateway();
    },
    get admission() {
      return admission();
    },
    get mcpRelay() {
      return mcpRelay();
    },
    get mcpChatApprovals() {
      return mcpChatApprovals();
    },
    async start() {
      if (started) return;
      started = true;
      const service = await approvals();
      stops.push(service.startSweeper(env.APPROVAL_SWEEP_INTERVAL_MS));
      stops.push(quotas().startFlusher(env.QUOTA_FLUSH_INTERVAL_MS, (err) => log().warn({ err }, "usage flush failed; retrying at the next interval")));
      const refusals = new RefusalAudit({
        admission: admission(),
        append: (input) => audit().append(input),
        tenant: env.CANOPY_PLATFORM_TENANT ?? env.CANOPY_DEMO_TENANT,
        now: () => clock.now(),
        onError: (err) => log().warn({ err }, "door refusals could not be audited; counted again at the next interval"),
      });
      stops.push(refusals.start(env.DATA_PLANE_REFUSAL_AUDIT_SECONDS * 1000));
    },
    async close() {
      for (const stop of stops.splice(0)) await stop();
      started = false;
      // The JSON-lines copies are written after the fact: let what is queued reach the files.
      await Promise.all([auditFile?.flush(), approvalsFile?.flush()]);
      await closeBuilt();
    },
  };

  const upstreamAdmin = once(() => ({ db, registry: () => upstreams(), audit: (input: Parameters<typeof svc.audit.append>[0]) => audit().append(input), network: () => upstreamNetwork(env) }));
  const builtins = once(() => createBuiltins(svc));
  const opsSettings = once(() => overrides.ops?.config ?? opsConfig(env));
  const emergency = once(() =>
    createEmergency({
      store: prismaEmergencyStore(async () => (await db()).prisma),
      clock: () => clock.now(),
      maxMinutes: opsSettings().emergencyMaxMinutes,
      role: opsSettings().emergencyRole,
      platformTenant: env.CANOPY_PLATFORM_TENANT ?? env.CANOPY_DEMO_TENANT,
      audit: (input) => audit().append(input),
    }),
  );
  const ops = once(() =>
    createOps({
      targets: prismaTargetStore(async () => (await db()).prisma),
      clock: () => clock.now(),
      secrets: overrides.ops?.secrets ?? envSecretResolver(envSecret),
      redactor: redactor(),
      logger: log().child({ module: "ops" }),
      config: opsSettings(),
      policy: createOpsPolicy(svc),
      emergency: overrides.ops?.emergency ?? emergency().grants,
      ...(overrides.ops?.backends ? { backends: overrides.ops.backends } : {}),
    }),
  );
  const mcpRequestState = once(() => createRequestStateSealer(secrets().hmacSecret));
  const gateway = once(() => createGateway({ pipeline: createPipelineDeps(svc), redactor: redactor(), builtins: () => builtins(), upstreams: () => upstreams(), metrics: metrics(), syncWaitMs: env.APPROVAL_SYNC_WAIT_MS }));

  // The console's public URL, as the 2025-11-25 URL-elicitation path takes it (lib/mcp/relay/services.ts).
  const mcpChatApprovals = once((): ChatApprovals | undefined =>
    env.NEXTAUTH_URL
      ? { consoleUrl: env.NEXTAUTH_URL, syncWaitMs: env.APPROVAL_SYNC_WAIT_MS, waitForDecision: async (id, ms) => (await (await approvals()).waitForResolution(id, ms)).status }
      : undefined,
  );
  const mcpRelay = once(() => createMcpRelayServices({ env, kv: kv(), secrets: secrets(), clock, audit: (input) => audit().append(input), log: log() }));

  // Closes only what was built here, dependants first; what a test supplied is the test's to close.
  async function closeBuilt() {
    if (tokenGuard.built()) await tokenGuard().close();
    if (mcpRelay.built()) await mcpRelay().broker.close();
    if (upstreams.built() && !overrides.upstreams) await upstreams().close();
    if (slack.built()) await (await slack().catch(() => null))?.close();
    if (approvals.built() && !overrides.approvals) await (await approvals().catch(() => null))?.close();
    if (audit.built() && !overrides.audit) audit().close();
    if (kv.built() && !overrides.kv) await kv().close();
    if (db.built() && dbOverride === undefined) {
      const d = await db().catch(() => null);
      await d?.prisma.$disconnect();
      await d?.sql.close();
    }
  }
  return svc;
}
