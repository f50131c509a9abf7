import { z } from "zod";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a tenant slug such as demo-tenant");

/** POST /api/v1/policy/simulate: seed 000's body, plus optional what-if context and inline policy. */
export const simulateRequestSchema = z.strictObject({
  tool: z.string().min(1, "tool is required, e.g. \"fs.write\" (with kind resource: a resource URI; with kind prompt: a prompt name)"),
  /** What is called (default tool): only rules of that kind decide it. */
  // The policy language's RULE_KINDS, spelled out: the console imports this module, not the engine.
  kind: z.enum(["tool", "resource", "prompt"], { error: "kind must be tool, resource or prompt" }).optional(),
  arguments: z.record(z.string(), z.unknown()).default({}),
  estimated_cost_usd: z.number().nonnegative().optional(),
  tenant: slug.optional(),
  subject: z.string().min(1).optional(),
  roles: z.array(z.string().min(1)).optional(),
  target_role: z.string().min(1).optional(),
  at: z.iso.datetime({ offset: true, error: "at must be an ISO 8601 instant such as 2026-11-21T10:00:00Z" }).optional(),
  policy: z.string().min(1).optional(),
  trace: z.boolean().default(true),
});
export type SimulateRequest = z.infer<typeof simulateRequestSchema>;

export const validationErrorSchema = z.object({ line: z.number(), column: z.number(), path: z.string(), message: z.string() });

export const validateResponseSchema = z.object({
  ok: z.boolean(),
  errors: z.array(validationErrorSchema),
  rules: z.number().optional(),
  /** SHA-256 of the exact bytes (a leading BOM stripped): the `hash` of versions, diff, apply and the audit log. */
  hash: z.string().optional(),
  /** Identity of the parsed policy (comments and layout do not change it). */
  semantic_hash: z.string().optional(),
});

/** The decision object (see lib/policy's PolicyDecision), loosely typed for the API document. */
export const decisionSchema = z
  .object({
    decision: z.enum(["allow", "deny", "approval"]),
    tool: z.string(),
    rule: z.string().nullable(),
    rule_index: z.number().int().nullable(),
    reason: z.string(),
    matched_default: z.boolean(),
    required_approvals: z.number().nullable(),
    approver_group: z.string().nullable(),
    expires_at: z.string().nullable(),
    policy_version: z.union([z.number(), z.string()]).nullable(),
    trace: z.array(z.unknown()).optional(),
  })
  .loose();

export const simulateResponseSchema = z.object({
  ok: z.boolean(),
  decision: decisionSchema.nullable(),
  errors: z.array(validationErrorSchema),
  trace_id: z.string(),
  policy_source: z.enum(["inline", "active"]),
  /** SHA-256 of the simulated policy's bytes (BOM stripped). */
  policy_hash: z.string().optional(),
});

// --- diff, apply, versions, rollback -------------------------------------------------------

const policyFields = {
  policy: z.string().min(1).optional(),
  proposed: z.string().min(1).optional(),
  file: z.string().min(1).optional(),
  yaml: z.string().min(1).optional(),
};

/** The policy YAML of a request: the first of `policy`, `proposed`, `file`, `yaml` given. */
export function policyTextOf(f: { policy?: string; proposed?: string; file?: string; yaml?: string }): string | undefined {
  return f.policy ?? f.proposed ?? f.file ?? f.yaml;
}

/** POST /api/v1/policy/diff: multipart `proposed=@file` (or `policy`, `file`), JSON `{proposed|policy|yaml}`, or raw YAML. */
export const diffRequestSchema = z.object({
  ...policyFields,
  /** A stored version as the proposal, instead of YAML (the caller's own or a platform version). */
  version: z.coerce.number().int().positive().optional(),
  /** Diff against this stored version instead of the tenant's active one (its own or a platform version). */
  against: z.coerce.number().int().positive().optional(),
  /** How many of the tenant's most recent recorded calls to replay through both policies (0 = none). */
  replay_limit: z.coerce.number().int().min(0).max(5000).default(500),
}).superRefine((r, ctx) => {
  if (policyTextOf(r) !== undefined && r.version !== undefined)
    ctx.addIssue({ code: "custom", path: ["version"], message: "send either the proposed policy YAML or a version id, not both" });
});
export type DiffRequest = z.infer<typeof diffRequestSchema>;

export const STRATEGIES = ["all", "canary_percent", "explicit"] as const;

const csvList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === "string" ? v.split(",") : v).map((s) => s.trim()).filter(Boolean));

/**
 * POST /api/v1/policy/apply (multipart fields or JSON). Without policy YAML, `version` names a
 * stored version to roll out; without either, the newest version of the rollout's scope: the
 * platform's for a rollout reaching other tenants, the caller's tenant's own for a pin of itself.
 */
export const applyRequestSchema = z
  .object({
    ...policyFields,
    version: z.coerce.number().int().positive().optional(),
    strategy: z.enum(STRATEGIES, { error: "strategy must be all, canary_percent or explicit" }).default("all"),
    canary_percent: z.coerce.number({ error: "canary_percent must be a number" }).int("canary_percent must be a whole number").min(1, "canary_percent must be 1..100").max(100, "canary_percent must be 1..100").optional(),
    tenants_csv: csvList.optional(),
    /** JSON alternative to tenants_csv. */
    tenants: csvList.optional(),
    message: z.string().max(2000).optional(),
    /** base64 Ed25519 signature of the exact YAML bytes (required when the server enforces signing). */
    signature: z.string().trim().min(1).optional(),
    /**
     * The version the author's draft started from (`none` or 0: the tenant ran none). When another
     * version became active since, the apply is refused (409) with the diff to merge. Optional:
     * scripts that send no base apply as before.
     */
    base_version: z.union([z.literal("none").transform(() => 0), z.coerce.number({ error: "base_version must be a version id or none" }).int().min(0)]).optional(),
    /** Apply although test cases of the scope fail; the reason is audited with the apply. */
    override_reason: z.string().trim().min(3, "override_reason must say why (at least 3 characters)").max(2000).optional(),
  })
  .superRefine((r, ctx) => {
    const tenants = [...(r.tenants_csv ?? []), ...(r.tenants ?? [])];
    if (r.strategy === "canary_percent" && r.canary_percent === undefined)
      ctx.addIssue({ code: "custom", path: ["canary_percent"], message: "strategy canary_percent needs canary_percent (1..100)" });
    if (r.strategy !== "canary_percent" && r.canary_percent !== undefined)
      ctx.addIssue({ code: "custom", path: ["canary_percent"], message: "canary_percent only applies to strategy canary_percent" });
    if (r.strategy === "explicit" && tenants.length === 0)
      ctx.addIssue({ code: "custom", path: ["tenants_csv"], message: 'strategy explicit needs tenants_csv, e.g. "acme-prod,globex-critical"' });
    if (r.strategy !== "explicit" && tenants.length > 0)
      ctx.addIssue({ code: "custom", path: ["tenants_csv"], message: "tenants_csv only applies to strategy explicit" });
    if (policyTextOf(r) !== undefined && r.version !== undefined)
      ctx.addIssue({ code: "custom", path: ["version"], message: "send either policy YAML or a version id, not both" });
  });
export type ApplyRequest = z.infer<typeof applyRequestSchema>;

export const rollbackRequestSchema = z.strictObject({
  /** The version to return to; default: the version the caller's tenant ran before its current one. */
  version: z.coerce.number().int().positive().optional(),
  message: z.string().max(2000).optional(),
});
export type RollbackRequest = z.infer<typeof rollbackRequestSchema>;

export const versionsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** next_cursor of the previous page. */
  cursor: z.coerce.number().int().positive().optional(),
});
export type VersionsQuery = z.infer<typeof versionsQuerySchema>;

export const riskSchema = z.object({ level: z.enum(["low", "medium", "high", "critical"]), score: z.number(), reasons: z.array(z.string()) });
const action = z.enum(["allow", "deny", "approval"]);

export const ruleChangeSchema = z
  .object({
    kind: z.enum(["added", "removed", "modified", "moved"]),
    name: z.string(),
    before: z.record(z.string(), z.unknown()).optional(),
    after: z.record(z.string(), z.unknown()).optional(),
    fields_changed: z.array(z.string()).optional(),
    from_index: z.number().optional(),
    to_index: z.number().optional(),
    renamed_from: z.string().optional(),
    effect: z.enum(["loosens", "tightens", "neutral", "unclear"]),
  });

export const decisionChangeSchema = z.object({
  trace_id: z.string().nullable(),
  seq: z.number(),
  ts: z.string(),
  tool: z.string(),
  subject: z.string().nullable(),
  recorded: z.string().nullable(),
  before: action,
  after: action,
  rule_before: z.string().nullable(),
  rule_after: z.string().nullable(),
  redacted: z.boolean(),
});

export const diffResponseSchema = z.object({
  headline: z.string(),
  /** For a return to a version the tenant ran before: from the decisions that change; else structural_risk. */
  risk: riskSchema,
  structural_risk: riskSchema,
  returns_to_version: z.number().nullable(),
  rule_changes: z.array(ruleChangeSchema),
  defaults_changed: z.object({ before: z.record(z.string(), z.unknown()), after: z.record(z.string(), z.unknown()), fields_changed: z.array(z.string()), effect: z.string() }).nullable(),
  facts_changed: z.boolean(),
  decision_changes: z.object({
    replayed: z.number(),
    changed: z.number(),
    rule_changed: z.number(),
    redacted: z.number(),
    by_transition: z.record(z.string(), z.number()),
    examples: z.array(decisionChangeSchema),
    roles_assumed: z.array(z.string()),
    notes: z.array(z.string()),
    from: z.string().nullable(),
    to: z.string().nullable(),
  }),
  current_version: z.number().nullable(),
  current_hash: z.string().nullable(),
  proposed_hash: z.string(),
});

const versionInfo = z.object({
  id: z.number(),
  /** platform: usable by every tenant; tenant: private to `tenant`. */
  scope: z.enum(["platform", "tenant"]),
  tenant: z.string().nullable(),
  hash: z.string(),
  author: z.string(),
  message: z.string().nullable(),
  created_at: z.string(),
  signed: z.boolean(),
  verified: z.boolean(),
});

const rolloutInfo = z.object({
  id: z.number(),
  version: z.number(),
  strategy: z.enum(STRATEGIES),
  canary_percent: z.number().nullable(),
  tenants: z.array(z.string()),
  created_by: z.string(),
  created_at: z.string(),
});

export const applyResponseSchema = z.object({
  version: versionInfo.extend({ reused: z.boolean() }),
  /** The test cases of the applied scope, run against the version before it was applied. */
  tests: z.object({ total: z.number(), passed: z.number(), failed: z.number(), overridden: z.boolean(), override_reason: z.string().nullable(), failing: z.array(z.object({ name: z.string(), message: z.string() })) }),
  /** Which version was applied and why, in one sentence. */
  why: z.string(),
  rollout: rolloutInfo,
  pinned: z.array(z.string()),
  canary: z.object({ percent: z.number(), tenants: z.array(z.string()), known_tenants: z.number() }).nullable(),
  headline: z.string(),
  risk: riskSchema,
  previous_version: z.number().nullable(),
  active_version: z.number().nullable(),
});

export const rollbackResponseSchema = z.object({
  action: z.enum(["rollout", "unpin"]),
  version: z.number(),
  previous_version: z.number().nullable(),
  rollout: rolloutInfo,
  unpinned: z.array(z.string()),
  headline: z.string(),
  active_version: z.number().nullable(),
});

export const versionsResponseSchema = z.object({
  versions: z.array(
    versionInfo.extend({
      active: z.boolean(),
      stable: z.boolean(),
      tenants: z.array(z.string()),
      tenant_count: z.number(),
      pinned_tenants: z.array(z.string()),
      rollouts: z.array(rolloutInfo.omit({ version: true }).extend({ in_effect: z.boolean() })),
    }),
  ),
  active_version: z.number().nullable(),
  stable_version: z.number().nullable(),
  tenant_versions: z.array(z.object({ tenant: z.string(), version: z.number().nullable(), via: z.enum(["pin", ...STRATEGIES]).nullable(), rollout: z.number().nullable() })),
  canary: z.object({ rollout: z.number(), version: z.number(), percent: z.number().nullable() }).nullable(),
  view: z.enum(["platform", "tenant"]),
  next_cursor: z.string().nullable(),
});

// --- batch simulation ---------------------------------------------------------------------

/** Calls one batch request may carry: a studio round (saved test cases + 200 recorded calls) fits. */
export const MAX_BATCH_CALLS = 500;

export const batchCallSchema = simulateRequestSchema.omit({ policy: true, trace: true });
export type BatchCall = z.infer<typeof batchCallSchema>;

/** POST /api/v1/policy/simulate/batch: one policy (inline, or the active one) against many calls. */
export const simulateBatchRequestSchema = z.strictObject({
  policy: z.string().min(1).optional(),
  calls: z.array(batchCallSchema).min(1, "calls must hold at least one call").max(MAX_BATCH_CALLS, `at most ${MAX_BATCH_CALLS} calls per request: split the batch`),
  trace: z.boolean().default(false),
});
export type SimulateBatchRequest = z.infer<typeof simulateBatchRequestSchema>;

export const simulateBatchResponseSchema = z.object({
  policy_source: z.enum(["inline", "active"]),
  /** SHA-256 of the policy's bytes (BOM stripped): the same `hash` validate, diff, apply and the versions table show. */
  policy_hash: z.string(),
  policy_version: z.number().nullable(),
  /** The inline policy was already compiled (by a validation or an earlier batch of the same bytes). */
  cached: z.boolean(),
  results: z.array(z.object({ ok: z.boolean(), decision: decisionSchema.nullable(), errors: z.array(validationErrorSchema), trace_id: z.string() })),
});

// --- promote ------------------------------------------------------------------------------

/** POST /api/v1/policy/promote: complete a canary (default: the newest one in progress). */
export const promoteRequestSchema = z.strictObject({
  version: z.coerce.number().int().positive().optional(),
  message: z.string().max(2000).optional(),
});
export type PromoteRequest = z.infer<typeof promoteRequestSchema>;

export const promoteResponseSchema = z.object({
  version: z.number(),
  canary_rollout: z.number(),
  rollout: rolloutInfo,
  headline: z.string(),
  previous_version: z.number().nullable(),
  active_version: z.number().nullable(),
});

// --- drafts -------------------------------------------------------------------------------

/** PUT /api/v1/policy/draft: the caller's draft in its tenant, saved as the author types. */
export const draftBodySchema = z.strictObject({
  text: z.string().max(1_000_000, "a draft is at most 1,000,000 characters"),
  base_version: z.number().int().positive().nullable().default(null),
});
export type DraftBody = z.infer<typeof draftBodySchema>;

export const draftViewSchema = z.object({
  tenant: z.string(),
  author: z.string(),
  text: z.string(),
  base_version: z.number().nullable(),
  hash: z.string(),
  saved_at: z.string(),
});

// --- signing with the server key ------------------------------------------------------------

export const signRequestSchema = z.strictObject({
  policy: z.string().min(1, "send the policy YAML to sign in `policy`"),
  message: z.string().max(2000).optional(),
});
export type SignRequest = z.infer<typeof signRequestSchema>;

export const signResponseSchema = z.object({ signature: z.string(), hash: z.string(), signed_by: z.literal("server-key"), on_behalf_of: z.string() });
