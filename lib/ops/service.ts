/**
 * createOps: the ops domain assembled from explicit dependencies (targets store, clock, secret
 * resolver, redactor, logger, settings, policy port, optional break-glass grants). No I/O happens
 * at construction and nothing is global: the composition root owns the returned object.
 *
 * Order of one `ops.<operation>` call (what the gateway pipeline calls, in this order):
 *   prepare  — parameters validated (strict schema, then the backend's own checks) BEFORE any
 *              backend is touched; target loaded (tenant-scoped); facts computed (role from the
 *              inventory, maintenance window, allowlists — live inventory read only now); the
 *              policy call built.
 *   decide   — the gateway's policy, approvals and audit (not here; `run` does it for callers
 *              without a pipeline, e.g. tests and the CLI).
 *   execute  — target re-read (a target changed since the decision is refused), plan, dry run or
 *              run within the timeout, output bounded and redacted.
 */
import { z } from "zod";
import { AppError, badRequest, conflict, notFound } from "@/lib/errors";
import type { Redactor } from "@/lib/audit/redact";
import { dockerBackend } from "./backends/docker";
import { localBackend } from "./backends/local";
import { proxmoxBackend } from "./backends/proxmox";
import { scanHostKey, sshBackend } from "./backends/ssh";
import type { Backend, BackendContext, OpsLogger } from "./backends/types";
import {
  effectiveTimeoutMs,
  getOperation,
  issuesOf,
  OPERATIONS,
  OPERATION_NAMES,
  operationOfTool,
  type OperationSpec,
  type ParamIssue,
  splitToolArgs,
  TargetId,
  toolNameOf,
  toolSchemaOf,
  validateParams,
} from "./catalog";
import type { OpsConfig } from "./config";
import { allowlistViolations, computeFacts, InventoryCache, type OpsFacts, targetFacts } from "./facts";
import type { EmergencyGrant, EmergencyGrants, OpsCaller, OpsDecision, OpsPolicy, OpsPolicyCall } from "./policy";
import { MissingSecretError, type OpsSecretResolver } from "./secrets";
import type { OpsTargetStore } from "./store";
import { checkGatewayHostRules, targetFromRow, TargetInputSchema, targetWrite } from "./targets";
import { type BackendAction, type BackendName, BACKENDS, CATEGORIES, type ConnectivityResult, type ExecutionStatus, type StepOutcome, type Target, TARGET_ROLES, type TargetRole } from "./types";

export interface OpsDeps {
  targets: OpsTargetStore;
  clock: () => Date;
  secrets: OpsSecretResolver;
  redactor: Redactor;
  logger: OpsLogger;
  config: OpsConfig;
  policy: OpsPolicy;
  emergency?: EmergencyGrants;
  /** Replaces backends (tests inject fakes that count calls). */
  backends?: Partial<Record<BackendName, Backend>>;
}

/** A validated call, ready for policy and then execution. */
export interface PreparedOp {
  caller: OpsCaller;
  tool: string;
  operation: string;
  params: Record<string, unknown>;
  dryRun: boolean;
  target: Target;
  /** The target version the decision was made on (updatedAt, ms). */
  targetVersion: number;
  facts: OpsFacts;
  timeoutMs: number;
  policyCall: OpsPolicyCall;
}

export interface OpsOutcome {
  status: ExecutionStatus | "dry_run";
  operation: string;
  target_id: string;
  /** Why nothing ran: the global setting (OPS_DRY_RUN) or the call's dry_run. */
  dry_run: null | "global" | "call";
  exit_code: number | null;
  duration_ms: number;
  steps: StepOutcome[];
  error?: string;
  /** The backend action, as planned (null when planning failed). */
  action: BackendAction | null;
}

export type OpsRunResult =
  | { status: "denied" | "approval_required"; decision: OpsDecision; outcome: null }
  | { status: "executed"; decision: OpsDecision; outcome: OpsOutcome };

export const SimulateInput = z.strictObject({
  operation: z.enum(OPERATION_NAMES as [string, ...string[]], { error: "operation must be one of the catalog's operations (see ops.allowed_operations)" }),
  target_id: TargetId,
  parameters: z.record(z.string(), z.unknown()).default({}),
  target_role: z.enum(TARGET_ROLES).optional().describe("What-if: decide as if the target had this role (labelled in the answer)"),
  at: z.iso.datetime({ offset: true, error: "at must be an ISO 8601 instant" }).optional(),
});
export const ValidateInput = z.strictObject({
  operation: z.string().max(64),
  parameters: z.record(z.string(), z.unknown()).default({}),
  target_id: TargetId.optional(),
});
export const AllowedOperationsInput = z
  .strictObject({ target_id: TargetId.optional(), target_role: z.enum(TARGET_ROLES).optional() })
  .refine((v) => (v.target_id === undefined) !== (v.target_role === undefined), { error: "give either target_id or target_role" });
export const TestBackendsInput = z.strictObject({ target_id: TargetId.optional() });

const MAX_TEST_TARGETS = 50;

export function createOps(deps: OpsDeps) {
  const { config } = deps;
  const backends: Record<BackendName, Backend> = {
    local: deps.backends?.local ?? localBackend(config),
    ssh: deps.backends?.ssh ?? sshBackend(),
    docker: deps.backends?.docker ?? dockerBackend(),
    proxmox: deps.backends?.proxmox ?? proxmoxBackend(),
  };
  const cache = new InventoryCache(config.inventory, () => deps.clock().getTime());

  /** A backend context whose secret() records what it resolved, so output echoing a secret is masked. */
  function context(tenant: string, seen: string[]): BackendContext {
    return {
      tenant,
      config,
      logger: deps.logger,
      async secret(name) {
        const v = await deps.secrets({ tenant, name });
        if (v === undefined || v === "") throw new MissingSecretError(tenant, name);
        seen.push(v);
        return v;
      },
    };
  }

  function redacted<T>(tenant: string, seen: string[], value: T): T {
    return deps.redactor.scope(tenant).remember({ secret: seen }).value(value) as T;
  }

  async function loadTarget(tenant: string, id: string): Promise<Target> {
    const row = await deps.targets.get(tenant, id);
    if (!row) throw notFound(`target ${id} does not exist in tenant ${tenant}`);
    const t = targetFromRow(row);
    checkGatewayHostRules(t, config);
    return t;
  }

  function supportCheck(op: OperationSpec, t: Target): void {
    if (!op.backends.includes(t.backend))
      throw new AppError(400, "unsupported_operation", `${op.name} does not run on ${t.backend} targets (target ${t.id}); it runs on ${op.backends.join(", ")}`);
  }

  function invalid(where: string, errors: ParamIssue[]): AppError {
    const first = errors[0];
    return new AppError(400, "invalid_parameters", `${where}: ${first ? `${first.path ? `${first.path}: ` : ""}${first.message}` : "invalid"}`, { errors });
  }

  function backendProblems(op: OperationSpec, t: Target, params: Record<string, unknown>): void {
    const problems = backends[t.backend].validate(t, op, params);
    if (problems.length > 0) throw invalid(`${toolNameOf(op)} on target ${t.id}`, problems.map((message) => ({ path: "", message })));
  }

  async function factsOf(t: Target, op: OperationSpec, now: Date, signal?: AbortSignal): Promise<OpsFacts> {
    const seen: string[] = [];
    try {
      return await computeFacts(t, op, now, (source) => cache.get(InventoryCache.key(t, source), () => backends[t.backend].inventory(context(t.tenantId, seen), t, source, { signal })));
    } catch (e) {
      // Fail closed: a parameter that must be checked against the live inventory cannot be, so the call stops here.
      throw new AppError(503, "inventory_unavailable", `cannot read the live inventory of target ${t.id} to check ${op.name}'s parameters: ${redacted(t.tenantId, seen, e instanceof Error ? e.message : String(e))}`);
    }
  }

  async function emergencyFor(caller: OpsCaller, now: Date): Promise<EmergencyGrant | null> {
    return deps.emergency ? deps.emergency.active(caller, now) : null;
  }

  function policyCall(caller: OpsCaller, op: OperationSpec, t: Target, params: Record<string, unknown>, facts: OpsFacts, now: Date, grant: EmergencyGrant | null, dryRun: boolean, whatIf: TargetRole | null): OpsPolicyCall {
    const role = whatIf ?? t.role;
    return {
      tool: toolNameOf(op),
      arguments: { target_id: t.id, ...params, target: { ...facts.target, role } },
      tenant: caller.tenant,
      subject: caller.subject,
      roles: grant && !caller.roles.includes(config.emergencyRole) ? [...caller.roles, config.emergencyRole] : caller.roles,
      targetRole: role,
      now,
      facts: whatIf ? { ...facts, target_role: role } : facts,
      emergency: grant,
      what_if: whatIf ? { target_role: whatIf, inventory_role: t.role } : null,
      dry_run: dryRun,
    };
  }

  async function prepare(caller: OpsCaller, tool: string, args: unknown, opts: { signal?: AbortSignal } = {}): Promise<PreparedOp> {
    const op = operationOfTool(tool);
    if (!op) throw badRequest(`${tool} is not an ops operation (known: ${OPERATION_NAMES.map((n) => toolNameOf(n)).join(", ")})`);
    const parsed = toolSchemaOf(op).safeParse(args ?? {});
    if (!parsed.success) throw invalid(`invalid arguments for ${tool}`, issuesOf(parsed.error));
    const { targetId, dryRun, params } = splitToolArgs(parsed.data as Record<string, unknown>);
    const target = await loadTarget(caller.tenant, targetId);
    supportCheck(op, target);
    backendProblems(op, target, params);
    const now = deps.clock();
    const facts = await factsOf(target, op, now, opts.signal);
    const outside = allowlistViolations(params, facts);
    if (outside.length > 0) {
      const v = outside[0];
      throw new AppError(400, "not_in_inventory", `${v.param} ${JSON.stringify(v.value)} is not on target ${target.id} (checked against ${v.source})`, { violations: outside });
    }
    const grant = await emergencyFor(caller, now);
    return {
      caller,
      tool,
      operation: op.name,
      params,
      dryRun,
      target,
      targetVersion: target.updatedAt.getTime(),
      facts,
      timeoutMs: effectiveTimeoutMs(op, params),
      policyCall: policyCall(caller, op, target, params, facts, now, grant, dryRun, null),
    };
  }

  async function execute(prepared: PreparedOp, opts: { signal?: AbortSignal } = {}): Promise<OpsOutcome> {
    const op = getOperation(prepared.operation)!;
    const tenant = prepared.caller.tenant;
    const target = await loadTarget(tenant, prepared.target.id);
    if (target.updatedAt.getTime() !== prepared.targetVersion)
      throw conflict(`target ${target.id} changed after this call was decided; decide it again`, { target_id: target.id });
    supportCheck(op, target);
    backendProblems(op, target, prepared.params);
    const seen: string[] = [];
    const ctx = context(tenant, seen);
    const backend = backends[target.backend];
    const base = { operation: op.name, target_id: target.id };
    let plan;
    try {
      plan = await backend.plan(ctx, target, op, prepared.params, prepared.timeoutMs, opts);
    } catch (e) {
      return redacted(tenant, seen, { ...base, status: "failed", dry_run: null, exit_code: null, duration_ms: 0, steps: [], error: `planning failed: ${e instanceof Error ? e.message : String(e)}`, action: null });
    }
    const dry = config.dryRun ? "global" : prepared.dryRun ? "call" : null;
    if (dry) return redacted(tenant, seen, { ...base, status: "dry_run", dry_run: dry, exit_code: null, duration_ms: 0, steps: [], action: plan.action });
    const r = await backend.execute(ctx, target, plan, opts);
    deps.logger.info(
      { tenant, subject: prepared.caller.subject, trace_id: prepared.caller.traceId, target: target.id, backend: target.backend, operation: op.name, status: r.status, exit_code: r.exit_code, duration_ms: r.duration_ms },
      "ops operation finished",
    );
    return redacted(tenant, seen, { ...base, status: r.status, dry_run: null, exit_code: r.exit_code, duration_ms: r.duration_ms, steps: r.steps, ...(r.error !== undefined ? { error: r.error } : {}), action: r.action });
  }

  async function decide(call: OpsPolicyCall): Promise<OpsDecision> {
    try {
      return await deps.policy.decide(call);
    } catch (e) {
      return { decision: "deny", rule: null, reason: `policy evaluation failed: ${e instanceof Error ? e.message : String(e)}; denied (fail closed)` };
    }
  }

  /** prepare → decide → execute when allowed. Approval is the gateway's: here it stops at approval_required. */
  async function run(caller: OpsCaller, tool: string, args: unknown, opts: { signal?: AbortSignal } = {}): Promise<OpsRunResult> {
    const prepared = await prepare(caller, tool, args, opts);
    const decision = await decide(prepared.policyCall);
    if (decision.decision === "deny") return { status: "denied", decision, outcome: null };
    if (decision.decision === "approval") return { status: "approval_required", decision, outcome: null };
    return { status: "executed", decision, outcome: await execute(prepared, opts) };
  }

  /** ops.simulate: decision, trace and the exact action; nothing runs (the inventory may be read). */
  async function simulate(caller: OpsCaller, input: unknown) {
    const inp = SimulateInput.parse(input);
    const op = getOperation(inp.operation)!;
    const v = validateParams(op, inp.parameters);
    if (!v.ok) return { valid: false as const, operation: op.name, target_id: inp.target_id, errors: v.errors, executed: false };
    const target = await loadTarget(caller.tenant, inp.target_id);
    supportCheck(op, target);
    backendProblems(op, target, v.params);
    const now = inp.at ? new Date(inp.at) : deps.clock();
    const facts = await factsOf(target, op, now);
    const outside = allowlistViolations(v.params, facts);
    const grant = await emergencyFor(caller, now);
    const call = policyCall(caller, op, target, v.params, facts, now, grant, true, inp.target_role ?? null);
    const decision = await decide(call);
    const seen: string[] = [];
    let action: BackendAction | null = null;
    let planError: string | undefined;
    try {
      action = (await backends[target.backend].plan(context(caller.tenant, seen), target, op, v.params, effectiveTimeoutMs(op, v.params))).action;
    } catch (e) {
      planError = e instanceof Error ? e.message : String(e);
    }
    return redacted(caller.tenant, seen, {
      valid: true as const,
      operation: op.name,
      target_id: target.id,
      parameters: v.params,
      decision,
      ...(call.what_if ? { what_if: { ...call.what_if, note: "decided with the caller's target_role, not the inventory's: a what-if, never enforced" } } : {}),
      facts: call.facts,
      ...(outside.length > 0 ? { not_in_inventory: outside } : {}),
      emergency: grant,
      action,
      ...(planError !== undefined ? { plan_error: planError } : {}),
      dry_run: true,
      executed: false,
    });
  }

  /** ops.validate: parameters only (and, with a target, whether its backend runs them); no backend I/O. */
  async function validate(caller: OpsCaller, input: unknown) {
    const inp = ValidateInput.parse(input);
    const op = getOperation(inp.operation);
    if (!op) return { valid: false, operation: inp.operation, errors: [{ path: "operation", message: `unknown operation; known: ${OPERATION_NAMES.join(", ")}` }] };
    const v = validateParams(op, inp.parameters);
    if (!v.ok) return { valid: false, operation: op.name, errors: v.errors };
    if (inp.target_id === undefined) return { valid: true, operation: op.name, errors: [], parameters: v.params, timeout_ms: effectiveTimeoutMs(op, v.params) };
    const target = await loadTarget(caller.tenant, inp.target_id);
    const errors: ParamIssue[] = [];
    if (!op.backends.includes(target.backend)) errors.push({ path: "", message: `${op.name} does not run on ${target.backend} targets` });
    else errors.push(...backends[target.backend].validate(target, op, v.params).map((message) => ({ path: "", message })));
    return { valid: errors.length === 0, operation: op.name, target_id: target.id, errors, parameters: v.params, timeout_ms: effectiveTimeoutMs(op, v.params) };
  }

  /** ops.allowed_operations: the decision of each operation for a target (or a what-if role) and this caller. */
  async function allowedOperations(caller: OpsCaller, input: unknown) {
    const inp = AllowedOperationsInput.parse(input);
    const now = deps.clock();
    const grant = await emergencyFor(caller, now);
    const target = inp.target_id !== undefined ? await loadTarget(caller.tenant, inp.target_id) : null;
    const role: TargetRole = target ? target.role : inp.target_role!;
    const probe: Target = target ?? {
      tenantId: caller.tenant, id: "what-if", name: "what-if", backend: "ssh", address: null, port: null, role, tags: [], maintenanceWindows: [],
      credentialRef: null, options: {}, createdBy: null, updatedBy: null, createdAt: now, updatedAt: now,
    };
    const allowed: string[] = [];
    const approval: { operation: string; rule: string | null; reason: string }[] = [];
    const denied: { operation: string; rule: string | null; reason: string }[] = [];
    for (const op of OPERATIONS) {
      if (target && !op.backends.includes(target.backend)) continue;
      // Static facts only: the probe uses the catalog's example parameters, not a live inventory.
      const facts: OpsFacts = { target_role: role, target: targetFacts(probe, now), allowlists: {}, allowlist_sources: {} };
      const params = validateParams(op, op.example);
      const d = await decide(policyCall(caller, op, probe, params.ok ? params.params : op.example, facts, now, grant, false, null));
      if (d.decision === "allow") allowed.push(op.name);
      else (d.decision === "approval" ? approval : denied).push({ operation: op.name, rule: d.rule, reason: d.reason });
    }
    return {
      target_role: role,
      ...(target ? { target_id: target.id, backend: target.backend } : { what_if: true }),
      caller: { subject: caller.subject, roles: grant ? [...caller.roles, config.emergencyRole] : caller.roles },
      allowed_operations: allowed,
      approval_required: approval,
      denied,
      note: "decided with each operation's example parameters at the current time; other parameters or times can be decided differently (use ops.simulate)",
    };
  }

  /** ops.policy_status. */
  async function policyStatus(caller: OpsCaller) {
    const now = deps.clock();
    return {
      policy: deps.policy.status ? await deps.policy.status(caller) : null,
      dry_run: { global: config.dryRun, per_call: "pass dry_run: true to any ops.<operation>" },
      emergency: { active: await emergencyFor(caller, now), role: config.emergencyRole },
      catalog: { operations: OPERATIONS.length, categories: CATEGORIES },
      backends: BACKENDS,
      targets: await deps.targets.count(caller.tenant),
      inventory_cache: { entries: cache.size, ttl_ms: config.inventory.ttlMs },
    };
  }

  async function testTarget(tenant: string, t: Target, signal?: AbortSignal): Promise<ConnectivityResult> {
    const seen: string[] = [];
    const s = AbortSignal.any([AbortSignal.timeout(config.connectTimeoutMs * 3), ...(signal ? [signal] : [])]);
    try {
      return redacted(tenant, seen, await backends[t.backend].test(context(tenant, seen), t, { signal: s }));
    } catch (e) {
      return redacted(tenant, seen, { ok: false, backend: t.backend, target: t.id, latency_ms: 0, details: {}, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** ops.test_backends: one target, or the tenant's first 50, four at a time. */
  async function testBackends(caller: OpsCaller, input: unknown, opts: { signal?: AbortSignal } = {}) {
    const inp = TestBackendsInput.parse(input ?? {});
    let targets: Target[];
    if (inp.target_id !== undefined) targets = [await loadTarget(caller.tenant, inp.target_id)];
    else {
      targets = [];
      for (const row of await deps.targets.list(caller.tenant, { limit: MAX_TEST_TARGETS })) {
        try {
          const t = targetFromRow(row);
          checkGatewayHostRules(t, config);
          targets.push(t);
        } catch {
          // a misconfigured target is reported by its own test below
        }
      }
    }
    const results: ConnectivityResult[] = new Array(targets.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(4, targets.length) }, async () => {
        while (next < targets.length) {
          const i = next++;
          results[i] = await testTarget(caller.tenant, targets[i], opts.signal);
        }
      }),
    );
    return { ok: results.every((r) => r.ok), results };
  }

  /* ---- the targets inventory, for the admin API and the console ---- */
  const targetsApi = {
    async list(tenant: string, opts: { limit?: number; after?: string } = {}) {
      const limit = Math.min(Math.max(opts.limit ?? 100, 1), 200);
      const rows = await deps.targets.list(tenant, { limit, ...(opts.after !== undefined ? { after: opts.after } : {}) });
      const items = rows.map((row) => {
        try {
          return targetView(targetFromRow(row), deps.clock());
        } catch (e) {
          return { id: row.id, name: row.name, backend: row.backend, role: row.role, misconfigured: e instanceof Error ? e.message : String(e) };
        }
      });
      return { targets: items, next_after: rows.length === limit ? rows[rows.length - 1].id : null };
    },
    async get(tenant: string, id: string) {
      const row = await deps.targets.get(tenant, id);
      if (!row) throw notFound(`target ${id} does not exist in tenant ${tenant}`);
      return targetView(targetFromRow(row), deps.clock());
    },
    async create(tenant: string, input: unknown, by: string) {
      const parsed = TargetInputSchema.parse(input);
      const { id, write } = targetWrite(parsed);
      checkGatewayHostRules({ tenantId: tenant, id, backend: parsed.backend, options: write.options }, config);
      if ((await deps.targets.count(tenant)) >= config.maxTargetsPerTenant)
        throw new AppError(409, "too_many_targets", `tenant ${tenant} has ${config.maxTargetsPerTenant} targets, the most allowed (OPS_MAX_TARGETS_PER_TENANT)`);
      const row = await deps.targets.create(tenant, id, write, by);
      if (!row) throw conflict(`target ${id} already exists in tenant ${tenant}`);
      deps.logger.info({ tenant, target: id, backend: write.backend, role: write.role, by }, "ops target created");
      return targetView(targetFromRow(row), deps.clock());
    },
    async update(tenant: string, id: string, input: unknown, by: string, ifUpdatedAt?: Date) {
      const parsed = TargetInputSchema.parse(input);
      if (parsed.id !== id) throw badRequest(`the body names target ${parsed.id}, the path ${id}; a target's id cannot change`);
      const { write } = targetWrite(parsed);
      checkGatewayHostRules({ tenantId: tenant, id, backend: parsed.backend, options: write.options }, config);
      const row = await deps.targets.update(tenant, id, write, by, ifUpdatedAt);
      if (!row) {
        if (ifUpdatedAt && (await deps.targets.get(tenant, id))) throw conflict(`target ${id} was changed by someone else; reload it and apply your change again`);
        throw notFound(`target ${id} does not exist in tenant ${tenant}`);
      }
      deps.logger.info({ tenant, target: id, backend: write.backend, role: write.role, by }, "ops target updated");
      return targetView(targetFromRow(row), deps.clock());
    },
    async remove(tenant: string, id: string, by: string) {
      if (!(await deps.targets.remove(tenant, id))) throw notFound(`target ${id} does not exist in tenant ${tenant}`);
      deps.logger.info({ tenant, target: id, by }, "ops target deleted");
      return { deleted: id };
    },
    /** The console's "test connection". */
    async test(tenant: string, id: string, opts: { signal?: AbortSignal } = {}) {
      return testTarget(tenant, await loadTarget(tenant, id), opts.signal);
    },
    /** The key an ssh target's server presents (nothing authenticated), to compare and pin. */
    async scanHostKey(tenant: string, id: string) {
      const t = await loadTarget(tenant, id);
      if (t.backend !== "ssh") throw badRequest(`target ${id} is a ${t.backend} target; host keys belong to ssh targets`);
      return scanHostKey(context(tenant, []), t);
    },
  };

  return {
    prepare,
    execute,
    run,
    simulate,
    validate,
    allowedOperations,
    policyStatus,
    testBackends,
    targets: targetsApi,
    /** Facts of an operation on a target (role, maintenance window, allowlists incl. the live inventory). */
    facts: (t: Target, operation: string, opts: { signal?: AbortSignal } = {}) => factsOf(t, getOperation(operation) ?? unknownOp(operation), deps.clock(), opts.signal),
    /** Drops cached inventories (after bulk target changes; entries also expire on their own). */
    clearInventoryCache: () => cache.clear(),
  };
}

function unknownOp(name: string): never {
  throw badRequest(`${name} is not an ops operation`);
}

export type Ops = ReturnType<typeof createOps>;

/** A target as the API and the console show it: credentials by reference only (there is nothing else to show). */
export function targetView(t: Target, now: Date) {
  return {
    id: t.id,
    name: t.name,
    backend: t.backend,
    address: t.address,
    port: t.port,
    role: t.role,
    tags: t.tags,
    maintenance_windows: t.maintenanceWindows,
    maintenance_window_now: targetFacts(t, now).maintenance_window,
    credential_ref: t.credentialRef,
    options: t.options,
    created_by: t.createdBy,
    updated_by: t.updatedBy,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}
