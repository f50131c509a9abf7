/**
 * Importers: AegisMCP v1/v2 and TailOps v2 policy files → canonical policies that decide the
 * same calls the same way. The format is detected from the keys; the output always passes
 * validation (it is re-validated before it is returned).
 */
import { parseDocument } from "yaml";
import { detectFormat, type PolicyFormat } from "./detect";
import { parsePolicy, validatePolicyObject } from "./parse";
import { toCanonicalYaml } from "./serialize";
import type { Conditions, ParamConstraint, Policy, Rule, TimeWindow } from "./schema";
import type { ValidationError } from "./types";

export interface MigrateOptions {
  /** Role that activates TailOps emergency_policies (break-glass). Default `emergency`. */
  emergencyRole?: string;
  /** Prefix for TailOps operation names as gateway tool names, e.g. `ops.`. Default none. */
  toolPrefix?: string;
}

export interface MigrateResult {
  ok: boolean;
  format: PolicyFormat;
  policy: Policy | null;
  /** Canonical YAML ("" when the input could not be migrated). */
  yaml: string;
  /** Source features without an exact canonical equivalent, and what was done with them. */
  warnings: string[];
  errors: ValidationError[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);

export function migratePolicy(text: string, options: MigrateOptions = {}): MigrateResult {
  let value: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) return failed("unknown", doc.errors.map((e) => ({ line: 0, column: 0, path: "", message: `YAML syntax: ${e.message}` })));
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return failed("unknown", [{ line: 0, column: 0, path: "", message: `YAML: ${(e as Error).message}` }]);
  }
  const format = detectFormat(value);
  if (format === "canonical") {
    const parsed = parsePolicy(text);
    if (!parsed.ok) return failed(format, parsed.errors);
    return { ok: true, format, policy: parsed.policy, yaml: toCanonicalYaml(parsed.policy), warnings: [], errors: [] };
  }
  return migrateObject(value, options);
}

export function migrateObject(value: unknown, options: MigrateOptions = {}): MigrateResult {
  const format = detectFormat(value);
  const warnings: string[] = [];
  let policy: Policy;
  try {
    switch (format) {
      case "aegis-v1":
        policy = fromAegisV1(value as Obj, warnings);
        break;
      case "aegis-v2":
        policy = fromAegisV2(value as Obj, warnings);
        break;
      case "tailops-v2":
        policy = fromTailOps(value as Obj, options, warnings);
        break;
      case "canonical": {
        const r = validatePolicyObject(value);
        if (!r.ok) return failed(format, r.errors);
        policy = r.policy;
        break;
      }
      default:
        return failed(format, [{ line: 0, column: 0, path: "", message: "unrecognized policy format: expected canonical (version: 1 with rules), AegisMCP v1/v2 or TailOps v2" }]);
    }
  } catch (e) {
    return failed(format, [{ line: 0, column: 0, path: "", message: `cannot migrate ${format} policy: ${(e as Error).message}` }]);
  }
  const check = validatePolicyObject(policy);
  if (!check.ok) return failed(format, check.errors);
  const header = [`Migrated from ${LABEL[format]} by \`canopy policy migrate\`.`, ...warnings.map((w) => `note: ${w}`)].join("\n");
  return { ok: true, format, policy: check.policy, yaml: toCanonicalYaml(check.policy, header), warnings, errors: [] };
}

const LABEL: Record<PolicyFormat, string> = {
  canonical: "canonical",
  "aegis-v1": "AegisMCP v1",
  "aegis-v2": "AegisMCP v2",
  "tailops-v2": "TailOps v2",
  unknown: "unknown",
};

function failed(format: PolicyFormat, errors: ValidationError[]): MigrateResult {
  return { ok: false, format, policy: null, yaml: "", warnings: [], errors };
}

class Names {
  private used = new Map<string, number>();
  unique(name: string): string {
    const n = this.used.get(name) ?? 0;
    this.used.set(name, n + 1);
    return n === 0 ? name : `${name} (${n + 1})`;
  }
}

/* ---------------- AegisMCP v1 ----------------
 * deny_tools → deny; allow_tools → allow, except capped ops (max_refund_cents → op `refund`,
 * max_payment_link_cents → op `payment_link_create`) whose amount is over the cap or missing →
 * approval; tools not allowed → approval (the v1 guard's "not in the allow list"). */
function fromAegisV1(v: Obj, warnings: string[]): Policy {
  const allow = v.allow_tools === undefined ? ["*"] : strList(v.allow_tools);
  const deny = strList(v.deny_tools);
  const rules: Rule[] = [];
  if (deny.length > 0)
    rules.push({ name: "v1 deny_tools", match: deny, action: "deny", reason: "Tool matches a deny_tools pattern (hard block)" });
  const caps: [string, string, number][] = [];
  for (const [k, raw] of Object.entries(v)) {
    const m = /^max_(\w+)_cents$/.exec(k);
    if (!m) continue;
    const cap = Number(raw);
    if (!Number.isFinite(cap) || cap <= 0) continue; // v1: a cap of 0 means no cap
    const op = m[1] === "payment_link" ? "payment_link_create" : m[1];
    if (m[1] !== "refund" && m[1] !== "payment_link") warnings.push(`${k} mapped to op \`${op}\` (AegisMCP v1 itself only knows refund and payment_link caps)`);
    caps.push([k, op, cap]);
  }
  if (allow.length > 0) {
    for (const [k, op, cap] of caps)
      rules.push({
        name: `v1 ${k}`,
        match: allow,
        where: { ops: [op], amount_cents_over: cap },
        action: "approval",
        reason: `Amount for ${op} exceeds ${k} cap of ${cap} (or is missing)`,
      });
    rules.push({ name: "v1 allow_tools", match: allow, action: "allow", reason: "Tool is in the allow list" });
  }
  for (const k of Object.keys(v))
    if (!["allow_tools", "deny_tools"].includes(k) && !/^max_\w+_cents$/.test(k)) warnings.push(`unknown AegisMCP v1 key \`${k}\` ignored`);
  return {
    version: 1,
    name: "Migrated AegisMCP v1 policy",
    defaults: { decision: "approval", reason: "Tool is not in the allow list; approval required" },
    rules,
  };
}

/* ---------------- AegisMCP v2 ----------------
 * Rules keep their order. `review` → approval. An allow rule with `cap_cents` becomes two rules:
 * approval when a supplied amount exceeds the cap, then allow (a missing amount is within the
 * cap, as the v2 DSL says). `ops` restricts the rule to those ops. No match → review. */
function fromAegisV2(v: Obj, warnings: string[]): Policy {
  const names = new Names();
  const rules: Rule[] = [];
  const src = Array.isArray(v.rules) ? v.rules : [];
  src.forEach((raw, i) => {
    if (!isObj(raw)) throw new Error(`rules[${i}] is not a mapping`);
    const match = typeof raw.match === "string" ? raw.match : null;
    if (!match) throw new Error(`rules[${i}] has no match pattern`);
    const decision = raw.decision;
    if (decision !== "allow" && decision !== "deny" && decision !== "review")
      throw new Error(`rules[${i}]: unknown decision ${JSON.stringify(decision)}; expected allow, review or deny`);
    const ops = strList(raw.ops);
    const base: Conditions = ops.length > 0 ? { ops } : {};
    const reason = typeof raw.reason === "string" ? raw.reason : undefined;
    const name = names.unique(`rule ${i + 1}: ${decision} ${match}`);
    const cap = raw.cap_cents;
    if (decision === "allow" && typeof cap === "number") {
      rules.push({
        name: names.unique(`${name} (over cap)`),
        match,
        where: { ...base, args: { amount_cents: { exists: true } }, amount_cents_over: cap },
        action: "approval",
        reason: `Amount exceeds cap ${cap} for pattern '${match}'`,
      });
    } else if (cap !== undefined && decision !== "allow") {
      warnings.push(`rules[${i}]: cap_cents only escalates allow rules; ignored on ${decision}`);
    }
    rules.push({
      name,
      match,
      ...(Object.keys(base).length > 0 ? { where: base } : {}),
      action: decision === "review" ? "approval" : decision,
      ...(reason !== undefined ? { reason } : {}),
    });
    for (const k of Object.keys(raw))
      if (!["match", "decision", "cap_cents", "ops", "reason"].includes(k)) warnings.push(`rules[${i}]: unknown key \`${k}\` ignored`);
  });
  return {
    version: 1,
    name: "Migrated AegisMCP v2 policy",
    defaults: { decision: "approval", reason: "No matching rule; default to review" },
    rules,
  };
}

/* ---------------- TailOps v2 ----------------
 * Order: emergency_policies (callers holding the emergency role), role_policies (by target
 * role), global_policies; then deny_by_default. A permitting rule's parameter_constraints and
 * time_restrictions are restrictions: a call that fails them is denied by a rule placed just
 * before it, as TailOps denies a matching operation whose parameters or time are wrong. */
function fromTailOps(root: Obj, options: MigrateOptions, warnings: string[]): Policy {
  const v = isObj(root.policies) ? root.policies : root;
  const emergencyRole = options.emergencyRole ?? "emergency";
  const prefix = options.toolPrefix ?? "";
  const names = new Names();
  const rules: Rule[] = [];

  const emit = (raw: unknown, where: string, scope: Conditions, label: string) => {
    if (!isObj(raw)) {
      warnings.push(`${where}: not a mapping; skipped`);
      return;
    }
    for (const k of Object.keys(raw))
      if (!TAILOPS_RULE_KEYS.includes(k)) warnings.push(`${where}: unknown key \`${k}\` ignored`);
    const baseName = `${label}${typeof raw.name === "string" ? raw.name : where}`;
    const ops = strList(raw.operations).map((o) => prefix + o);
    const match: string | string[] = ops.length > 0 ? ops : "*";
    const cond: Conditions = { ...scope };
    const roles = strList(raw.target_roles);
    if (roles.length > 0) {
      if (scope.target_roles) {
        const inter = strList(scope.target_roles).filter((r) => roles.includes(r));
        if (inter.length === 0) {
          warnings.push(`${where}: target_roles ${JSON.stringify(roles)} exclude its role section; rule can never apply, skipped`);
          return;
        }
        cond.target_roles = inter;
      } else cond.target_roles = roles;
    }
    if (raw.allowed === undefined) warnings.push(`${where}: \`allowed\` missing; treated as true`);
    const action = raw.allowed === false ? "deny" : raw.requires_approval === true ? "approval" : "allow";
    const params = tailopsParams(raw.parameter_constraints, where, warnings);
    const windows = tailopsWindows(raw.time_restrictions, where);
    const enabled = raw.enabled === false ? { enabled: false } : {};
    const description = typeof raw.description === "string" ? { description: raw.description } : {};
    if (action === "deny") {
      rules.push({
        name: names.unique(baseName),
        ...description,
        ...enabled,
        match,
        ...whereOf({ ...cond, ...(params ? { params } : {}), ...(windows ? { time_window: windows } : {}) }),
        action,
        reason: `Denied by TailOps policy ${baseName}`,
      });
      return;
    }
    if (params)
      rules.push({
        name: names.unique(`${baseName}: parameter constraints`),
        ...enabled,
        match,
        where: { ...cond, not: { params } },
        action: "deny",
        reason: `Parameter validation failed for ${baseName}`,
      });
    if (windows)
      rules.push({
        name: names.unique(`${baseName}: time restrictions`),
        ...enabled,
        match,
        where: { ...cond, not: { time_window: windows } },
        action: "deny",
        reason: `Outside the permitted time window of ${baseName}`,
      });
    rules.push({
      name: names.unique(baseName),
      ...description,
      ...enabled,
      match,
      ...(Object.keys(cond).length > 0 ? { where: cond } : {}),
      action,
      reason: action === "approval" ? `Approval required by TailOps policy ${baseName}` : `Allowed by TailOps policy ${baseName}`,
    });
  };

  const list = (x: unknown, where: string): unknown[] => {
    if (x === undefined || x === null) return [];
    if (!Array.isArray(x)) {
      warnings.push(`${where} is not a list; skipped`);
      return [];
    }
    return x;
  };
  list(v.emergency_policies, "emergency_policies").forEach((r, i) =>
    emit(r, `emergency_policies[${i}]`, { roles_any: [emergencyRole] }, "emergency: "),
  );
  if (isObj(v.role_policies)) {
    for (const [role, rs] of Object.entries(v.role_policies))
      list(rs, `role_policies.${role}`).forEach((r, i) => emit(r, `role_policies.${role}[${i}]`, { target_roles: [role] }, `${role}: `));
  } else if (v.role_policies !== undefined) warnings.push("role_policies is not a mapping of role → rules; skipped");
  list(v.global_policies, "global_policies").forEach((r, i) => emit(r, `global_policies[${i}]`, {}, ""));

  if (v.require_approval_for_admin !== undefined)
    warnings.push("require_approval_for_admin has no direct equivalent; express it with roles_any/target_roles approval rules");
  if (v.enable_dry_run !== undefined) warnings.push("enable_dry_run: dry runs are always available through policy simulate");
  for (const k of Object.keys(v))
    if (!TAILOPS_TOP_KEYS.includes(k)) warnings.push(`unknown TailOps key \`${k}\` ignored`);

  const denyByDefault = v.deny_by_default !== false;
  return {
    version: 1,
    name: typeof v.name === "string" ? v.name : "Migrated TailOps policy",
    ...(typeof v.description === "string" ? { description: v.description } : {}),
    defaults: denyByDefault
      ? { decision: "deny", reason: "Deny by default: no policy permits this operation" }
      : { decision: "allow", reason: "No policy matched; deny_by_default is false" },
    rules,
  };
}

function whereOf(c: Conditions): { where?: Conditions } {
  return Object.keys(c).length > 0 ? { where: c } : {};
}

const TAILOPS_TOP_KEYS = [
  "version", "name", "description", "deny_by_default", "enable_dry_run", "require_approval_for_admin",
  "global_policies", "role_policies", "emergency_policies",
];
const TAILOPS_RULE_KEYS = [
  "name", "description", "enabled", "operations", "target_roles", "allowed", "requires_approval",
  "parameter_constraints", "time_restrictions",
];
const TAILOPS_TYPES: Record<string, ParamConstraint["type"]> = {
  string: "string", str: "string", int: "int", integer: "int", float: "float", number: "float",
  bool: "bool", boolean: "bool", list: "list", array: "list", dict: "dict", object: "dict",
};

function tailopsParams(raw: unknown, where: string, warnings: string[]): Record<string, ParamConstraint> | null {
  if (!isObj(raw)) return null;
  const out: Record<string, ParamConstraint> = {};
  for (const [name, c] of Object.entries(raw)) {
    if (!isObj(c)) continue;
    const p: ParamConstraint = {};
    for (const [k, val] of Object.entries(c)) {
      switch (k) {
        case "type": {
          const t = TAILOPS_TYPES[String(val).toLowerCase()];
          if (t) p.type = t;
          else warnings.push(`${where}: parameter ${name}: unknown type ${JSON.stringify(val)} ignored`);
          break;
        }
        case "required":
          p.required = val === true;
          break;
        case "max_length":
        case "min":
        case "max":
          if (typeof val === "number") p[k] = val;
          break;
        case "pattern":
          if (typeof val === "string") p.pattern = val;
          break;
        case "allowlist":
          if (Array.isArray(val)) p.allowlist = val as ParamConstraint["allowlist"];
          break;
        case "default":
          break; // a default fills a missing value at execution; it does not change the decision
        case "allowlist_source":
          warnings.push(`${where}: parameter ${name}: allowlist_source ${JSON.stringify(val)} is dynamic and cannot be checked by a static policy; dropped`);
          break;
        default:
          warnings.push(`${where}: parameter ${name}: unknown constraint \`${k}\` ignored`);
      }
    }
    out[name] = p;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function tailopsWindows(raw: unknown, where: string): TimeWindow[] | null {
  if (!Array.isArray(raw) || raw.length === 0) return null;
  const out: TimeWindow[] = [];
  for (const w of raw) {
    if (!isObj(w)) throw new Error(`${where}: time_restrictions entries must be mappings`);
    const tw: TimeWindow = {};
    if (Array.isArray(w.days_of_week)) tw.days = w.days_of_week as TimeWindow["days"];
    if (typeof w.start_time === "string") tw.start = w.start_time;
    if (typeof w.end_time === "string") tw.end = w.end_time;
    if (typeof w.timezone === "string") tw.timezone = w.timezone;
    out.push(tw);
  }
  return out;
}
