/**
 * Compile once per policy version. Rules with exact tool names are indexed by name; glob rules
 * are kept in order; the candidates for a tool are the union of both, re-sorted by rule index,
 * so first-match-wins is exactly the top-down order of the YAML. Candidate lists are memoized
 * per tool name (bounded, so a flood of made-up names cannot grow memory).
 */
import { canonicalJson, sha256Hex } from "@/lib/canonical";
import { blockTest, compileBlock, type CompiledCondition } from "./conditions";
import { durationSeconds } from "./duration";
import { FactResolver, type ResolvedSources } from "./facts";
import { compileGlob, isGlob, type NameTest } from "./glob";
import type { Conditions, Defaults, FactMap, Policy, Rule, RuleKind } from "./schema";
import type { Action } from "./types";
import type { CallFacts } from "./facts";

export interface CompiledRule {
  index: number;
  name: string;
  /** What the rule governs: only calls of this kind are its candidates. */
  kind: RuleKind;
  /** SHA-256 of the rule's canonical body (see ruleIdentity): what an approval is bound to. */
  identity: string;
  action: Action;
  reason: string;
  patterns: readonly string[];
  required_approvals: number | null;
  approver_group: string | null;
  expires_in_seconds: number | null;
  conditions: readonly CompiledCondition[];
  test: (f: CallFacts) => boolean;
  /** What the rule decides for a call of unknown cost (its own `unknown_cost`, or the default's); null: its action. */
  unknownCost: UnknownCostDecision | null;
}

export interface UnknownCostDecision {
  /** Identity of this decision path (the rule's identity, marked as decided by unknown cost). */
  identity: string;
  action: Action;
  /** True when `defaults.unknown_cost` supplied it. */
  fromDefaults: boolean;
  required_approvals: number | null;
  approver_group: string | null;
  expires_in_seconds: number | null;
}

export interface Candidate {
  rule: CompiledRule;
  /** The pattern that selected this rule for the tool (for the trace). */
  pattern: string;
}

export interface CompileOptions {
  /** Version label reported in decisions (e.g. the stored policy version id); default: hash prefix. */
  version?: string;
  /** Fact sources per tool pattern, under the policy's own `facts` (the policy wins). */
  facts?: Record<string, FactMap>;
}

export interface CompiledDefault {
  /** SHA-256 of the canonical `defaults` block: the identity of an approval the default asks for. */
  identity: string;
  decision: Action;
  /** `defaults.unknown_cost`; `allow` also lets budgets admit an unknown-cost call at $0. */
  unknown_cost: Action | null;
  reason: string;
  required_approvals: number | null;
  approver_group: string | null;
  expires_in_seconds: number | null;
}

const MAX_CACHED_TOOLS = 10_000;

/**
 * The default for resources and prompts: deny, whatever `defaults.decision` says, so a policy
 * written when rules meant tools only (`match: "*"`, `defaults: allow`) exposes none of them.
 */
function kindDefault(kind: Exclude<RuleKind, "tool">): CompiledDefault {
  return {
    identity: ruleIdentity({ defaults: { decision: "deny", kind } }),
    decision: "deny",
    unknown_cost: null,
    reason: `no rule with kind: ${kind} matched; ${kind}s are denied unless a rule allows them`,
    required_approvals: null,
    approver_group: null,
    expires_in_seconds: null,
  };
}
const KIND_DEFAULTS = { resource: kindDefault("resource"), prompt: kindDefault("prompt") } as const;

export class CompiledPolicy {
  readonly version: string;
  readonly hash: string;
  readonly rules: readonly CompiledRule[];
  readonly defaults: CompiledDefault;
  /** Keyed by `<kind>\0<name>`. */
  private readonly exact = new Map<string, Candidate[]>();
  private readonly globs: { rule: CompiledRule; pattern: string; test: NameTest }[] = [];
  private readonly candidateCache = new Map<string, readonly Candidate[]>();
  private readonly facts: FactResolver;
  private readonly extraFacts = new WeakMap<object, FactResolver>();
  private readonly optionFacts: Record<string, FactMap> | undefined;

  constructor(
    readonly policy: Policy,
    options: CompileOptions = {},
  ) {
    this.hash = sha256Hex(canonicalJson(policy));
    this.version = options.version ?? `sha256:${this.hash.slice(0, 12)}`;
    this.optionFacts = options.facts;
    this.facts = new FactResolver(options.facts, policy.facts);
    const d: Defaults = policy.defaults ?? { decision: "deny" as const };
    this.defaults = {
      identity: ruleIdentity({ defaults: d }),
      decision: d.decision,
      unknown_cost: d.unknown_cost ?? null,
      reason: d.reason ?? `no rule matched; default decision is ${d.decision}`,
      ...approvalFields(d.decision, d),
    };
    const rules: CompiledRule[] = [];
    policy.rules.forEach((r, index) => {
      if (r.enabled === false) return;
      const rule = compileRule(r, index, d);
      rules.push(rule);
      const seen = new Set<string>();
      for (const p of rule.patterns) {
        if (isGlob(p)) this.globs.push({ rule, pattern: p, test: compileGlob(p) });
        else if (!seen.has(p)) {
          seen.add(p);
          const key = `${rule.kind}\0${p}`;
          const list = this.exact.get(key) ?? [];
          list.push({ rule, pattern: p });
          this.exact.set(key, list);
        }
      }
    });
    this.rules = rules;
  }

  /** Rules that apply to `name` (a tool name, resource URI or prompt name per `kind`), in policy order. */
  candidates(name: string, kind: RuleKind = "tool"): readonly Candidate[] {
    const key = `${kind}\0${name}`;
    const hit = this.candidateCache.get(key);
    if (hit) return hit;
    const byIndex = new Map<number, Candidate>();
    for (const c of this.exact.get(key) ?? []) byIndex.set(c.rule.index, c);
    for (const g of this.globs) {
      if (g.rule.kind === kind && !byIndex.has(g.rule.index) && g.test(name)) byIndex.set(g.rule.index, { rule: g.rule, pattern: g.pattern });
    }
    const list = [...byIndex.values()].sort((a, b) => a.rule.index - b.rule.index);
    if (this.candidateCache.size < MAX_CACHED_TOOLS) this.candidateCache.set(key, list);
    return list;
  }

  /** What decides when no rule matches: `defaults` for tools, deny for resources and prompts. */
  defaultFor(kind: RuleKind = "tool"): CompiledDefault {
    return kind === "tool" ? this.defaults : KIND_DEFAULTS[kind];
  }

  /** The arguments that feed each fact for `tool`; `extra` maps (an upstream's) add theirs. */
  factSources(tool: string, extra?: Readonly<Record<string, FactMap>>): ResolvedSources {
    if (!extra) return this.facts.forTool(tool);
    let r = this.extraFacts.get(extra);
    if (!r) {
      r = new FactResolver(this.optionFacts, extra, this.policy.facts);
      this.extraFacts.set(extra, r);
    }
    return r.forTool(tool);
  }
}

function approvalFields(action: Action, r: { required_approvals?: number; approver_group?: string; expires_in?: number | string }) {
  if (action !== "approval") return { required_approvals: null, approver_group: null, expires_in_seconds: null };
  return {
    required_approvals: r.required_approvals ?? 1,
    approver_group: r.approver_group ?? null,
    expires_in_seconds: durationSeconds(r.expires_in),
  };
}

function compileRule(r: Rule, index: number, defaults: Defaults): CompiledRule {
  const conditions = compileBlock(r.where ?? undefined);
  const patterns = typeof r.match === "string" ? [r.match] : r.match;
  return {
    index,
    name: r.name,
    kind: r.kind ?? "tool",
    identity: ruleIdentity(r),
    action: r.action,
    reason: r.reason ?? defaultReason(r),
    patterns,
    ...approvalFields(r.action, r),
    conditions,
    test: blockTest(conditions),
    unknownCost: unknownCostOf(r, defaults),
  };
}

/**
 * A rule's identity: the SHA-256 of its canonical JSON without `description` (prose) and `enabled`
 * (only enabled rules are compiled). Everything that decides what the rule matches, what it does
 * and who must approve is in it, so an approval granted under one body never unlocks a call that
 * an edited rule of the same name gates (and a renamed rule is a new rule).
 */
export function ruleIdentity(body: Rule | { defaults: unknown }): string {
  const { description: _d, enabled: _e, ...rest } = body as Rule;
  // `kind: tool` is the default spelled out: the same rule, the same identity.
  if (rest.kind === "tool") delete rest.kind;
  return sha256Hex(canonicalJson(rest));
}

/**
 * A rule's own `unknown_cost` applies whenever the rule matches a call of unknown cost. The
 * default's applies only to rules that test `estimated_cost_usd_over` (anywhere in `where`), so
 * it can never turn an unrelated deny rule into an allow.
 */
function unknownCostOf(r: Rule, d: Defaults): UnknownCostDecision | null {
  const own = r.unknown_cost;
  const action = own ?? (d.unknown_cost !== undefined && testsCost(r.where ?? undefined) ? d.unknown_cost : undefined);
  if (action === undefined) return null;
  const fromDefaults = own === undefined;
  // Approval fields: the rule's own, else the defaults' (field by field), else the usual defaults.
  const fields = approvalFields(action, {
    required_approvals: r.required_approvals ?? d.required_approvals,
    approver_group: r.approver_group ?? d.approver_group,
    expires_in: r.expires_in ?? d.expires_in,
  });
  return { identity: sha256Hex(`${ruleIdentity(r)}:unknown_cost:${canonicalJson(fromDefaults ? d : null)}`), action, fromDefaults, ...fields };
}

function testsCost(c: Conditions | undefined): boolean {
  if (!c) return false;
  if (c.estimated_cost_usd_over !== undefined) return true;
  return testsCost(c.not) || (c.any ?? []).some(testsCost);
}

function defaultReason(r: Rule): string {
  if (r.action === "allow") return `allowed by rule "${r.name}"`;
  if (r.action === "deny") return `denied by rule "${r.name}"`;
  return `approval required by rule "${r.name}"`;
}

export function compilePolicy(policy: Policy, options?: CompileOptions): CompiledPolicy {
  return new CompiledPolicy(policy, options);
}
