import { z } from "zod";
import { parseAllowlist } from "@/lib/mcp/upstreams/address-policy";
import { DEFAULT_REDACT_KEYS, parseRedactKeys } from "@/lib/audit/redact-keys";
import { parseValuePatterns } from "@/lib/audit/redact-values";
import { OpsEnvShape } from "@/lib/ops/config";
import { parseOidcMapping } from "@/lib/access/oidc-mapping";
import { parseOriginAllowlist } from "@/lib/mcp/origin-allowlist";

/**
 * The one place that reads process.env. Parsed and validated once; a bad value stops start-up
 * with a message naming the variable, what was given and what is expected.
 */
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const url = (protocols: string[], hint: string) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `expected ${hint}`);

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    // Any case (seed 004 writes LOG_LEVEL=INFO); WARNING is Python's spelling of warn.
    LOG_LEVEL: z
      .string()
      .transform((v) => (v.toLowerCase() === "warning" ? "warn" : v.toLowerCase()))
      .pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
      .default("info"),
    PORT: int(1, 65535).default(3000),
    CANOPY_DATA_DIR: z.string().min(1).default(".data"),
    DATABASE_URL: url(["postgres:", "postgresql:"], "a postgres:// or postgresql:// URL").optional(),
    DATABASE_POOL_SIZE: int(1, 200).default(10),
    REDIS_URL: url(["redis:", "rediss:"], "a redis:// or rediss:// URL").optional(),
    REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(1000),
    NEXTAUTH_URL: url(["http:", "https:"], "the console's public http(s) URL").optional(),
    NEXTAUTH_SECRET: z.string().min(32, "expected at least 32 characters").optional(),
    OIDC_ISSUER: url(["http:", "https:"], "the OIDC issuer URL").optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_NAME: z.string().min(1).default("Single sign-on"),
    // Scopes asked of the IdP (add e.g. "groups" when it releases the groups claim only under that scope).
    OIDC_SCOPES: z.string().regex(/^[\w:./-]+( [\w:./-]+)*$/, "expected space-separated scopes such as \"openid email profile\"").default("openid email profile"),
    // First-sign-in mapping of the IdP's claims to memberships: a JSON array of rules
    // {"claim":"groups"|"email"|"email_domain","equals":"…","tenant":"…","roles":[…],"groups":[…]}
    // (lib/access/oidc-mapping.ts). Email rules need email_verified: true.
    OIDC_MAPPING: z.string().optional().superRefine((v, ctx) => {
      try {
        parseOidcMapping(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    CANOPY_JWT_ISSUER: z.string().min(1).default("canopyiq"),
    CANOPY_JWT_AUDIENCE: z.string().min(1).default("canopyiq-api"),
    // The longest an API token may live (exp − iat), enforced when minting (API and CLI) and when
    // verifying, so a token minted under a longer limit stops working once the limit is lowered.
    CANOPY_TOKEN_MAX_TTL_SECONDS: int(60, 366 * 86_400).default(30 * 86_400),
    // How long an invitation link (Access page, `canopy members invite`) can be used to set a password.
    CANOPY_INVITATION_TTL_SECONDS: int(300, 30 * 86_400).default(7 * 86_400),
    // Start once with this set to record new shared keys on purpose (see lib/secrets/fingerprint.ts):
    // without it, a process whose keys differ from the deployment's refuses to start.
    CANOPY_KEYS_ACCEPT_NEW: bool.default(false),
    CANOPY_JWT_PRIVATE_KEY: z.string().min(1).optional(),
    CANOPY_JWT_PUBLIC_KEY: z.string().min(1).optional(),
    CANOPY_AUDIT_PRIVATE_KEY: z.string().min(1).optional(),
    // Key rotation: public keys of earlier signing keys, comma-separated (PEM or base64 PEM body).
    // Tokens they signed keep verifying until they expire; audit checkpoints they signed stay verifiable.
    CANOPY_JWT_PREVIOUS_PUBLIC_KEYS: z.string().min(1).optional(),
    CANOPY_AUDIT_PREVIOUS_PUBLIC_KEYS: z.string().min(1).optional(),
    CANOPY_AUDIT_PUBLIC_KEY: z.string().min(1).optional(),
    CANOPY_ADMIN_EMAIL: z.email("expected an email address").default("admin@canopyiq.local"),
    CANOPY_ADMIN_PASSWORD: z.string().min(8, "expected at least 8 characters").optional(),
    CANOPY_DEMO_TENANT: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a lowercase slug such as demo-tenant")
      .default("demo-tenant"),
    // The tenant whose policy authors may roll policies out to other tenants (all, canary_percent,
    // explicit lists naming others); every other tenant's authors can only pin their own tenant.
    CANOPY_PLATFORM_TENANT: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a lowercase slug such as demo-tenant")
      .optional(),
    CANOPY_DEV_LOGIN: bool.default(true),
    POLICY_PATH: z.string().min(1).default("policies/samples.yaml"),
    POLICY_REQUIRE_SIGNATURE: bool.default(false),
    POLICY_PUBLIC_KEY_B64: z.string().min(1).optional(),
    POLICY_SIG_PATH: z.string().min(1).optional(),
    // An Ed25519 private key the server may sign policies with, on behalf of an author who holds
    // policies.sign (a permission only the policy_signer role carries, granted to no one by default).
    POLICY_SIGNING_PRIVATE_KEY_B64: z.string().min(1).optional(),
    APPROVAL_SYNC_WAIT_MS: int(0, 600_000).default(0),
    // Seed 004: JSON-lines copies of audit records and approval events (`tail -f audit.log | jq`).
    // Postgres stays the source of truth; a write error is logged, never blocks. Each file is
    // rotated to FILE.1 past JSONL_MAX_BYTES.
    AUDIT_PATH: z.string().min(1).optional(),
    APPROVALS_PATH: z.string().min(1).optional(),
    JSONL_MAX_BYTES: int(1024, 100 * 1024 ** 3).default(100 * 1024 ** 2),
    AUDIT_CHECKPOINT_EVERY: int(1, 10_000_000).default(1000),
    AUDIT_CHECKPOINT_SECONDS: int(1, 86_400).default(60),
    AUDIT_APPEND_TIMEOUT_MS: int(100, 120_000).default(5000),
    // Worker threads that hash an audit chain being verified (API, `canopy audit verify`); 0 hashes
    // in the server's own thread. Unset: one per core, at most 8.
    AUDIT_VERIFY_WORKERS: int(0, 32).optional(),
    // Keys whose values are redacted in audit records, approvals and verdicts: a comma list of
    // name patterns matched on word boundaries (`auth` redacts x-auth-token, not author), `*` at
    // an end lets the match run into a word (`*token` → csrftoken), `!name` is an exception, and a
    // leading `+` adds the entries to the default list instead of replacing it (lib/audit/redact-keys.ts).
    AUDIT_REDACT_KEYS: z.string().min(1).default(DEFAULT_REDACT_KEYS).superRefine((v, ctx) => {
      try {
        parseRedactKeys(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    // Extra secret shapes redacted inside any string, on top of the built-in ones (URL passwords,
    // bearer tokens, PEM keys, JWTs, AWS/Slack/GitHub tokens…): a JSON array of RE2 regexes or
    // {"kind","pattern"} objects, at most 32 of at most 512 characters (lib/audit/redact-values.ts).
    AUDIT_REDACT_VALUE_PATTERNS: z.string().optional().superRefine((v, ctx) => {
      try {
        parseValuePatterns(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    HMAC_SECRET: z.string().min(16, "expected at least 16 characters").optional(),
    // A static bearer for Prometheus (the Helm chart generates it for its ServiceMonitor): it reads
    // GET /metrics and nothing else, with every tenant's series (role metrics_scraper).
    METRICS_SCRAPE_TOKEN: z.string().min(32, "expected at least 32 characters (the chart generates 48)").optional(),
    SLACK_WEBHOOK_URL: url(["https:", "http:"], "a Slack incoming-webhook URL").optional(),
    SLACK_BOT_TOKEN: z.string().min(1).optional(),
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_API_BASE_URL: url(["https:", "http:"], "the Slack Web API base URL").default("https://slack.com/api"),
    UPSTREAMS_PATH: z.string().min(1).default("upstreams.yaml"),
    // Upstreams added through the admin API may not point at loopback/private addresses unless allowed.
    UPSTREAM_ALLOW_PRIVATE_NETWORKS: bool.default(false),
    // The precise exception: comma-separated addresses, CIDRs and host names (10.20.0.0/16,
    // fd00:1::/64, mcp.internal.example, *.corp.example) that admin-managed upstreams may reach.
    UPSTREAM_PRIVATE_ALLOWLIST: z
      .string()
      .superRefine((v, ctx) => {
        try {
          parseAllowlist(v);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
      })
      .optional(),
    QUOTA_FLUSH_INTERVAL_MS: int(1_000, 3_600_000).default(15_000),
    // Where approval messages go with SLACK_BOT_TOKEN: the default channel, and per approver group
    // ("secops=C0123,finance=#fin-approvals"; a group not listed uses the default).
    SLACK_APPROVAL_CHANNEL: z.string().min(1).optional(),
    SLACK_APPROVAL_CHANNELS: z
      .string()
      .regex(/^\s*[^=,\s]+\s*=\s*[^=,\s]+\s*(,\s*[^=,\s]+\s*=\s*[^=,\s]+\s*)*$/, "expected group=channel pairs separated by commas")
      .optional(),
    APPROVAL_SWEEP_INTERVAL_MS: int(100, 600_000).default(1000),
    // Seed 004's one global APPROVAL_CODE, honoured only in its legacy mode (APPROVAL_CODE_LEGACY=true,
    // off by default) and only for approvals of one approver that name no group; otherwise each
    // approver reveals a personal code (N-of-M kept).
    APPROVAL_CODE: z.string().min(8, "expected at least 8 characters").max(200).optional(),
    APPROVAL_CODE_LEGACY: bool.default(false),
    // Failed approval-code attempts allowed per approval and per caller within the window (then 429).
    APPROVAL_CODE_MAX_FAILURES_PER_APPROVAL: int(1, 1000).default(5),
    APPROVAL_CODE_MAX_FAILURES_PER_CALLER: int(1, 100_000).default(20),
    APPROVAL_CODE_THROTTLE_WINDOW_SECONDS: int(1, 86_400).default(900),
    // Request body limits, checked while the body is read (413 payload_too_large past them): JSON
    // API bodies; the MCP endpoint; the policy routes (validate, simulate, diff, apply, migrate: a
    // realistic 1,000-rule policy is ~270 KiB); Slack's callback (its payloads are a few KiB, and
    // it is unauthenticated until the signature over the body is checked).
    BODY_LIMIT_API_BYTES: int(1024, 1024 ** 3).default(1024 ** 2),
    BODY_LIMIT_MCP_BYTES: int(1024, 1024 ** 3).default(4 * 1024 ** 2),
    BODY_LIMIT_POLICY_BYTES: int(1024, 1024 ** 3).default(4 * 1024 ** 2),
    BODY_LIMIT_SLACK_BYTES: int(1024, 1024 ** 3).default(64 * 1024),
    // Tool-call arguments are bounded before they are hashed, evaluated or audited: nesting depth,
    // serialized size (UTF-8 JSON), keys per object and items per array.
    TOOL_ARGS_MAX_DEPTH: int(1, 1000).default(32),
    TOOL_ARGS_MAX_BYTES: int(1024, 1024 ** 3).default(2 * 1024 ** 2),
    TOOL_ARGS_MAX_KEYS: int(1, 10_000_000).default(1000),
    TOOL_ARGS_MAX_ITEMS: int(1, 10_000_000).default(10_000),
    // JSON-RPC batches on /mcp (only under MCP revisions before 2025-06-18, which removed them):
    // at most this many messages, or the whole batch is refused.
    MCP_MAX_BATCH: int(1, 10_000).default(20),
    // How long a request an upstream sends to the caller (sampling/createMessage, elicitation/create,
    // roots/list, relayed on the caller's SSE stream) waits for the caller's answer before the
    // upstream is answered with a timeout error.
    MCP_CLIENT_REQUEST_TIMEOUT_MS: int(1_000, 600_000).default(120_000),
    // Standalone GET /mcp streams (session era: list_changed notifications): at most this many open
    // per process (each holds a connection; past it GET answers 503) and per caller (429), compared
    // every MCP_LISTEN_INTERVAL_MS; a stream without a session ends after MCP_LISTEN_MAX_SECONDS.
    MCP_LISTEN_MAX_STREAMS: int(1, 100_000).default(1000),
    MCP_LISTEN_MAX_PER_CALLER: int(1, 1000).default(8),
    MCP_LISTEN_INTERVAL_MS: int(250, 600_000).default(2000),
    MCP_LISTEN_MAX_SECONDS: int(10, 7 * 24 * 3600).default(3600),
    // Browser origins that may call /mcp (DNS-rebinding protection: a request whose Origin header
    // is present and not listed is refused with 403; a request without Origin is a non-browser
    // client and allowed). A comma list of exact origins (https://agents.example.com) and the words
    // `self` (the public URL's origin, NEXTAUTH_URL), `loopback` (http(s) on localhost, 127.0.0.0/8
    // or [::1], any port) and `*` (any origin: only behind another origin check).
    MCP_ALLOWED_ORIGINS: z.string().default("self,loopback").superRefine((v, ctx) => {
      try {
        parseOriginAllowlist(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    // OAuth authorization servers named in /.well-known/oauth-protected-resource (RFC 9728) for
    // clients that discover how to obtain a token for /mcp: a comma list of issuer URLs. Empty (the
    // default): none named (tokens are minted by CanopyIQ: console Tokens page or `canopy token`).
    MCP_AUTHORIZATION_SERVERS: z.string().default("").superRefine((v, ctx) => {
      for (const s of v.split(",").map((x) => x.trim()).filter(Boolean)) {
        if (!URL.canParse(s) || !["http:", "https:"].includes(new URL(s).protocol)) ctx.addIssue({ code: "custom", message: `expected http(s) issuer URLs separated by commas, not ${s}` });
      }
    }),
    // The data plane's bound on /mcp requests in flight per process: past it, a request is refused
    // at once (503 with Retry-After) rather than queued. Sized from bench/data-plane.bench.ts.
    DATA_PLANE_MAX_IN_FLIGHT: int(1, 100_000).default(256),
    // Requests refused past that bound are audited as counts: one door_refusals record (platform
    // tenant) per this many seconds in which any were refused.
    DATA_PLANE_REFUSAL_AUDIT_SECONDS: int(1, 3600).default(10),
    // Console sign-in throttling: failed sign-ins counted per login and per client address within
    // the window; past either limit, sign-ins are refused (with the same generic failure).
    LOGIN_MAX_FAILURES_PER_LOGIN: int(1, 1_000_000).default(10),
    LOGIN_MAX_FAILURES_PER_ADDRESS: int(1, 1_000_000).default(50),
    LOGIN_THROTTLE_WINDOW_SECONDS: int(1, 86_400).default(900),
    // The ops built-in tools (seed 002): dry-run mode, output bounds, gateway-host allowlists (lib/ops/config.ts).
    ...OpsEnvShape,
  })
  .superRefine((v, ctx) => {
    if (v.APPROVAL_CODE_LEGACY && !v.APPROVAL_CODE) {
      ctx.addIssue({ code: "custom", path: ["APPROVAL_CODE"], message: "APPROVAL_CODE_LEGACY=true needs APPROVAL_CODE (the global code)" });
    }
    const oidc = [v.OIDC_ISSUER, v.OIDC_CLIENT_ID, v.OIDC_CLIENT_SECRET];
    if (oidc.some(Boolean) && !oidc.every(Boolean)) {
      for (const key of ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"] as const) {
        if (!v[key]) ctx.addIssue({ code: "custom", path: [key], message: "OIDC needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together" });
      }
    }
    for (const [priv, pub] of [
      ["CANOPY_JWT_PRIVATE_KEY", "CANOPY_JWT_PUBLIC_KEY"],
      ["CANOPY_AUDIT_PRIVATE_KEY", "CANOPY_AUDIT_PUBLIC_KEY"],
    ] as const) {
      // The public key alone verifies nothing we sign; the private key alone is enough (the public
      // key is derived from it, which is how the Helm chart's generated keys are passed).
      if (v[pub] && !v[priv]) {
        ctx.addIssue({ code: "custom", path: [priv], message: `${pub} is set without ${priv}: set the private key (the public key is derived from it)` });
      }
    }
  });

export type Env = z.infer<typeof schema>;

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Validates a set of variables (empty strings count as unset). Throws EnvError listing every problem. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== "") cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new EnvError(
    result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "environment");
      const given = cleaned[key];
      const shown = given === undefined ? "" : ` (got ${JSON.stringify(secretish(key) ? "***" : given)})`;
      return `${key}: ${issue.message}${shown}`;
    }),
  );
}

function secretish(key: string) {
  return /SECRET|PASSWORD|TOKEN|PRIVATE|APPROVAL_CODE$/.test(key);
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Test hook: forget the cached parse so a test can change process.env. */
export function resetEnvForTests() {
  cached = undefined;
}

/**
 * A secret named by configuration (upstreams.yaml `${NAME}` references), so files hold names and
 * never credentials. Read here because this is the one module that touches process.env.
 */
export function envSecret(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The tenant allowed fleet-wide policy rollouts: CANOPY_PLATFORM_TENANT, else the seeded tenant. */
export function platformTenant(): string {
  const e = env();
  return e.CANOPY_PLATFORM_TENANT ?? e.CANOPY_DEMO_TENANT;
}

/** The console's public base URL, for messages and links. */
export function publicUrl(): string {
  const e = env();
  return (e.NEXTAUTH_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");
}
