/**
 * Policy diff with risk analysis. Pure: two parsed policies in, a structural diff, a risk level
 * with its reasons and a one-sentence headline out.
 *
 * Rules are identified by name (names are unique). The analysis asks of every change whether it
 * lets more calls through (loosening: risky) or fewer (tightening: low risk): a deny or approval
 * rule removed, narrowed or turned into allow; an allow rule added or broadened (patterns widened,
 * conditions removed or widened); fewer approvals required; a looser default; an allow rule moved
 * ahead of a deny or approval rule it overlaps, so it now shadows it.
 */
import { canonicalJson } from "@/lib/canonical";
import { durationSeconds } from "./duration";
import { compileGlob, isGlob } from "./glob";
import { normalizeHostname } from "./hosts";
import { isUnder, normalizeAbsolutePath } from "./paths";
import type { Conditions, Defaults, Policy, Rule } from "./schema";
import type { Action } from "./types";

export type RuleChangeKind = "added" | "removed" | "modified" | "moved";
export type RiskLevel = "low" | "medium" | "high" | "critical";
/** What a change does to the calls let through. */
export type ChangeEffect = "loosens" | "tightens" | "neutral" | "unclear";

export interface RuleChange {
  kind: RuleChangeKind;
  name: string;
  before?: Rule;
  after?: Rule;
  fields_changed?: string[];
  from_index?: number;
  to_index?: number;
  /** For a rule renamed without any other change. */
  renamed_from?: string;
  effect: ChangeEffect;
}

export interface DefaultsChange {
  before: Defaults;
  after: Defaults;
  fields_changed: string[];
  effect: ChangeEffect;
}

export interface PolicyRisk {
  level: RiskLevel;
  /** 0–100: the sum of the findings' weights, capped. */
  score: number;
  /** Most severe first. */
  reasons: string[];
}

export interface PolicyDiff {
  rule_changes: RuleChange[];
  defaults_changed?: DefaultsChange;
  /** The `facts` mapping (which argument feeds host, path, …) changed. */
  facts_changed?: boolean;
  risk: PolicyRisk;
  headline: string;
}

const LEVELS: readonly RiskLevel[] = ["low", "medium", "high", "critical"];
const WEIGHT: Record<RiskLevel, number> = { low: 2, medium: 12, high: 30, critical: 50 };
const STRICTNESS: Record<Action, number> = { allow: 0, approval: 1, deny: 2 };
const RULE_FIELDS = ["kind", "match", "where", "action", "unknown_cost", "required_approvals", "approver_group", "expires_in", "enabled", "reason", "description"] as const;

interface Finding {
  level: RiskLevel;
  text: string;
}

const maxLevel = (a: RiskLevel, b: RiskLevel): RiskLevel => (LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b);

// ---------------------------------------------------------------------------------------------
// Normalization (for equality: `match: x` equals `match: [x]`, list order of sets is irrelevant)

const SET_KEYS = new Set([
  "method", "host_in", "host_not_in", "path_under", "path_not_under", "ops", "target_roles", "tenant_in", "subject_in", "roles_any",
]);

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return typeof v === "string" ? [v] : [...v];
}

function patternsOf(r: Rule): string[] {
  return list(r.match);
}

function normConditions(c: Conditions | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c ?? {})) {
    if (v === undefined) continue;
    if (SET_KEYS.has(k)) {
      const items = list(v as string | string[]).map((x) => (k === "method" ? x.toUpperCase() : x));
      out[k] = [...new Set(items)].sort();
    } else if (k === "time_window") out[k] = Array.isArray(v) ? v : [v];
    else if (k === "not") out[k] = normConditions(v as Conditions);
    else if (k === "any") out[k] = (v as Conditions[]).map(normConditions);
    else out[k] = v;
  }
  return out;
}

function fieldValue(r: Rule, field: (typeof RULE_FIELDS)[number]): unknown {
  switch (field) {
    case "kind":
      return r.kind ?? "tool";
    case "match":
      return [...new Set(patternsOf(r))].sort();
    case "where":
      return normConditions(r.where ?? undefined);
    case "enabled":
      return r.enabled !== false;
    case "required_approvals":
      return r.action === "approval" || r.unknown_cost === "approval" ? (r.required_approvals ?? 1) : null;
    case "expires_in":
      return r.action === "approval" || r.unknown_cost === "approval" ? durationSeconds(r.expires_in) : null;
    default:
      return r[field] ?? null;
  }
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

function changedFields(b: Rule, a: Rule): string[] {
  return RULE_FIELDS.filter((f) => !same(fieldValue(b, f), fieldValue(a, f)));
}

function bodyKey(r: Rule): string {
  return canonicalJson(RULE_FIELDS.map((f) => fieldValue(r, f)));
}

// ---------------------------------------------------------------------------------------------
// Scope: does a rule match more or fewer calls than before?

type Scope = "same" | "wider" | "narrower" | "unclear";

function literalPrefix(p: string): string {
  const i = p.search(/[*?]/);
  return i < 0 ? p : p.slice(0, i);
}

/** Every tool `b` matches, `a` matches too (conservative: false when unsure). */
export function patternCovers(a: string, b: string): boolean {
  if (a === b || a === "*") return true;
  if (!isGlob(b)) return compileGlob(a)(b);
  if (/^[^*?]*\*$/.test(a)) return literalPrefix(b).startsWith(a.slice(0, -1));
  return false;
}

/** Some tool may match both (conservative: true when unsure). */
export function patternsOverlap(a: string, b: string): boolean {
  if (!isGlob(a)) return compileGlob(b)(a);
  if (!isGlob(b)) return compileGlob(a)(b);
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  return pa.startsWith(pb) || pb.startsWith(pa);
}

function hostCovers(a: string, b: string): boolean {
  const x = normalizeHostname(a);
  const y = normalizeHostname(b);
  if (x === "*" || x === y) return true;
  return x.startsWith("*.") && y.endsWith(x.slice(1)) && y.length > x.length - 1;
}

function pathCovers(a: string, b: string): boolean {
  try {
    return isUnder(normalizeAbsolutePath(b), normalizeAbsolutePath(a));
  } catch {
    return a === b;
  }
}

const eq = (a: string, b: string) => a === b;

/** How the set of accepted values moved from `before` to `after`. */
function setScope(before: string[], after: string[], covers: (a: string, b: string) => boolean): Scope {
  const afterCovers = before.every((b) => after.some((a) => covers(a, b)));
  const beforeCovers = after.every((a) => before.some((b) => covers(b, a)));
  if (afterCovers && beforeCovers) return "same";
  if (afterCovers) return "wider";
  if (beforeCovers) return "narrower";
  return "unclear";
}

const invert = (s: Scope): Scope => (s === "wider" ? "narrower" : s === "narrower" ? "wider" : s);

/** Combines independent scope changes of one rule. */
function combine(scopes: Scope[]): Scope {
  const moved = scopes.filter((s) => s !== "same");
  if (moved.length === 0) return "same";
  if (moved.includes("unclear")) return "unclear";
  if (moved.includes("wider") && moved.includes("narrower")) return "unclear";
  return moved[0];
}

const POSITIVE_SETS: Record<string, (a: string, b: string) => boolean> = {
  method: (a, b) => a.toUpperCase() === b.toUpperCase(),
  host_in: hostCovers,
  path_under: pathCovers,
  ops: eq,
  target_roles: eq,
  tenant_in: eq,
  subject_in: eq,
  roles_any: eq,
};
const NEGATIVE_SETS: Record<string, (a: string, b: string) => boolean> = { host_not_in: hostCovers, path_not_under: pathCovers };
const THRESHOLDS_OVER = new Set(["body_bytes_over", "estimated_cost_usd_over", "amount_cents_over"]);

interface ConditionDelta {
  scope: Scope;
  added: string[];
  removed: string[];
  widened: string[];
  narrowed: string[];
  changed: string[];
}

/** Whether the `where` block holds for more or fewer calls (all conditions must hold). */
function conditionScope(before: Conditions | undefined, after: Conditions | undefined): ConditionDelta {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const d: ConditionDelta = { scope: "same", added: [], removed: [], widened: [], narrowed: [], changed: [] };
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => b[k] !== undefined || a[k] !== undefined).sort();
  const scopes: Scope[] = [];
  for (const k of keys) {
    const bv = b[k];
    const av = a[k];
    if (bv === undefined) {
      d.added.push(k);
      scopes.push("narrower");
      continue;
    }
    if (av === undefined) {
      d.removed.push(k);
      scopes.push("wider");
      continue;
    }
    if (same(normConditions({ [k]: bv } as Conditions), normConditions({ [k]: av } as Conditions))) continue;
    let s: Scope = "unclear";
    if (POSITIVE_SETS[k]) s = setScope(list(bv as string | string[]), list(av as string | string[]), POSITIVE_SETS[k]);
    else if (NEGATIVE_SETS[k]) s = invert(setScope(list(bv as string | string[]), list(av as string | string[]), NEGATIVE_SETS[k]));
    else if (THRESHOLDS_OVER.has(k)) s = (av as number) > (bv as number) ? "narrower" : "wider";
    else if (k === "cap_cents") s = (av as number) > (bv as number) ? "wider" : "narrower";
    if (s === "wider") d.widened.push(k);
    else if (s === "narrower") d.narrowed.push(k);
    else d.changed.push(k);
    scopes.push(s);
  }
  d.scope = combine(scopes);
  return d;
}

function describeDelta(patterns: Scope, before: Rule, after: Rule, c: ConditionDelta): string {
  const parts: string[] = [];
  if ((before.kind ?? "tool") !== (after.kind ?? "tool")) parts.push(`kind ${before.kind ?? "tool"} → ${after.kind ?? "tool"}`);
  if (patterns !== "same") parts.push(`match ${fmtPatterns(patternsOf(before))} → ${fmtPatterns(patternsOf(after))}`);
  if (c.removed.length) parts.push(`conditions removed: ${c.removed.join(", ")}`);
  if (c.widened.length) parts.push(`conditions widened: ${c.widened.join(", ")}`);
  if (c.added.length) parts.push(`conditions added: ${c.added.join(", ")}`);
  if (c.narrowed.length) parts.push(`conditions narrowed: ${c.narrowed.join(", ")}`);
  if (c.changed.length) parts.push(`conditions changed: ${c.changed.join(", ")}`);
  return parts.join("; ");
}

// ---------------------------------------------------------------------------------------------
// Findings

function fmtPatterns(p: string[]): string {
  return p.length === 1 ? p[0] : `[${p.join(", ")}]`;
}

const isActive = (r: Rule) => r.enabled !== false;
const unconditional = (r: Rule) => Object.values(r.where ?? {}).every((v) => v === undefined);
const restrictive = (a: Action) => a !== "allow";

function allowTarget(r: Rule): string {
  const p = patternsOf(r);
  return p.includes("*") ? `every ${r.kind ?? "tool"}` : fmtPatterns(p);
}

/** An allow rule that matches broadly: critical for `*` without conditions, high for a glob or no conditions. */
function allowBreadth(r: Rule): RiskLevel {
  if (!unconditional(r)) return "medium";
  if (patternsOf(r).includes("*")) return "critical";
  return "high";
}

function transition(from: Action, to: Action): { level: RiskLevel; effect: ChangeEffect } {
  if (from === to) return { level: "low", effect: "neutral" };
  if (STRICTNESS[to] > STRICTNESS[from]) return { level: "low", effect: "tightens" };
  if (from === "deny" && to === "allow") return { level: "critical", effect: "loosens" };
  if (from === "approval" && to === "allow") return { level: "high", effect: "loosens" };
  return { level: "medium", effect: "loosens" }; // deny → approval
}

function analyzeAdded(r: Rule, afterRules: Rule[], index: number, out: Finding[]): ChangeEffect {
  if (!isActive(r)) {
    out.push({ level: "low", text: `rule "${r.name}" added, disabled` });
    return "neutral";
  }
  if (restrictive(r.action)) {
    out.push({ level: "low", text: `new ${r.action} rule "${r.name}" for ${fmtPatterns(patternsOf(r))}` });
    return "tightens";
  }
  let level = allowBreadth(r);
  const text = unconditional(r) ? `rule "${r.name}" now allows ${allowTarget(r)} without conditions` : `new allow rule "${r.name}" for ${fmtPatterns(patternsOf(r))} (when ${Object.keys(r.where ?? {}).join(", ")})`;
  const shadowed = afterRules.slice(index + 1).find((x) => isActive(x) && restrictive(x.action) && overlaps(r, x));
  if (shadowed && unconditional(r)) level = maxLevel(level, "high");
  out.push({ level, text: shadowed ? `${text}, ahead of ${shadowed.action} rule "${shadowed.name}"` : text });
  return "loosens";
}

function analyzeRemoved(r: Rule, out: Finding[]): ChangeEffect {
  if (!isActive(r)) {
    out.push({ level: "low", text: `disabled rule "${r.name}" removed` });
    return "neutral";
  }
  if (restrictive(r.action)) {
    out.push({ level: "high", text: `${r.action} rule "${r.name}" removed: ${fmtPatterns(patternsOf(r))} calls it caught now fall through` });
    return "loosens";
  }
  out.push({ level: "low", text: `allow rule "${r.name}" removed` });
  return "tightens";
}

function effectOf(levels: { level: RiskLevel; effect: ChangeEffect }[]): ChangeEffect {
  const effects = new Set(levels.map((l) => l.effect).filter((e) => e !== "neutral"));
  if (effects.size === 0) return "neutral";
  if (effects.size === 1) return [...effects][0];
  return effects.has("loosens") ? "loosens" : "unclear";
}

function analyzeModified(b: Rule, a: Rule, afterRules: Rule[], afterIndex: number, fields: string[], out: Finding[]): ChangeEffect {
  if (isActive(b) && !isActive(a)) {
    const e = analyzeRemoved(b, out);
    out[out.length - 1].text = `rule "${a.name}" disabled${restrictive(b.action) ? `: ${fmtPatterns(patternsOf(b))} calls it caught now fall through` : ""}`;
    return e;
  }
  if (!isActive(b) && isActive(a)) {
    const e = analyzeAdded(a, afterRules, afterIndex, out);
    out[out.length - 1].text = `rule "${a.name}" enabled: ${out[out.length - 1].text.replace(/^rule "[^"]*" /, "")}`;
    return e;
  }
  if (!isActive(b) && !isActive(a)) {
    out.push({ level: "low", text: `disabled rule "${a.name}" edited` });
    return "neutral";
  }
  const found: { level: RiskLevel; effect: ChangeEffect; text: string }[] = [];
  // A rule that now governs another kind matches other calls altogether.
  const pScope = (b.kind ?? "tool") !== (a.kind ?? "tool") ? "unclear" : setScope(patternsOf(b), patternsOf(a), patternCovers);
  const cDelta = conditionScope(b.where ?? undefined, a.where ?? undefined);
  const scope = combine([pScope, cDelta.scope]);
  const detail = describeDelta(pScope, b, a, cDelta);

  if (b.action !== a.action) {
    const t = transition(b.action, a.action);
    let level = t.level;
    let text = `rule "${a.name}" now ${a.action === "allow" ? "allows" : a.action === "deny" ? "denies" : "requires approval for"} ${fmtPatterns(patternsOf(a))}`;
    if (a.action === "allow") {
      if (unconditional(a)) text = `rule "${a.name}" now allows ${allowTarget(a)} without conditions`;
      level = maxLevel(level, allowBreadth(a) === "medium" ? "low" : allowBreadth(a));
    }
    found.push({ level, effect: t.effect, text: `${text} (was ${b.action})` });
  } else if (scope !== "same") {
    if (a.action === "allow") {
      if (scope === "narrower") found.push({ level: "low", effect: "tightens", text: `allow rule "${a.name}" narrowed (${detail})` });
      else if (scope === "wider" && unconditional(a)) found.push({ level: allowBreadth(a), effect: "loosens", text: `rule "${a.name}" now allows ${allowTarget(a)} without conditions` });
      else if (scope === "wider") found.push({ level: "medium", effect: "loosens", text: `allow rule "${a.name}" broadened (${detail})` });
      else found.push({ level: "medium", effect: "unclear", text: `allow rule "${a.name}" changed scope (${detail})` });
    } else {
      if (scope === "wider") found.push({ level: "low", effect: "tightens", text: `${a.action} rule "${a.name}" broadened (${detail})` });
      else if (scope === "narrower") found.push({ level: "medium", effect: "loosens", text: `${a.action} rule "${a.name}" now catches fewer calls (${detail})` });
      else found.push({ level: "medium", effect: "unclear", text: `${a.action} rule "${a.name}" changed scope (${detail})` });
    }
  }

  if ((b.unknown_cost ?? null) !== (a.unknown_cost ?? null)) {
    // What a call of unknown cost gets: no setting counts as the rule's own action.
    const t = transition(b.unknown_cost ?? b.action, a.unknown_cost ?? a.action);
    found.push({ level: t.level, effect: t.effect, text: `rule "${a.name}" now decides ${a.unknown_cost ?? a.action} for calls of unknown cost (was ${b.unknown_cost ?? b.action})` });
  }
  if (b.action === "approval" && a.action === "approval") {
    const rb = b.required_approvals ?? 1;
    const ra = a.required_approvals ?? 1;
    if (ra < rb) {
      found.push({
        level: rb >= 2 && ra === 1 ? "high" : "medium",
        effect: "loosens",
        text: rb >= 2 && ra === 1 ? `rule "${a.name}" no longer needs dual control (required_approvals ${rb} → ${ra})` : `rule "${a.name}" needs fewer approvals (${rb} → ${ra})`,
      });
    } else if (ra > rb) found.push({ level: "low", effect: "tightens", text: `rule "${a.name}" needs more approvals (${rb} → ${ra})` });
    if ((b.approver_group ?? null) !== (a.approver_group ?? null)) {
      found.push({ level: "medium", effect: "unclear", text: `rule "${a.name}" approvals now go to ${a.approver_group ? `group "${a.approver_group}"` : "any approver"} (was ${b.approver_group ? `"${b.approver_group}"` : "any approver"})` });
    }
    const eb = durationSeconds(b.expires_in);
    const ea = durationSeconds(a.expires_in);
    if (ea !== eb) found.push({ level: "low", effect: ea > eb ? "loosens" : "tightens", text: `rule "${a.name}" approvals expire after ${ea}s (was ${eb}s)` });
  }
  if (found.length === 0) {
    const wording = fields.filter((f) => f === "reason" || f === "description");
    if (wording.length) found.push({ level: "low", effect: "neutral", text: `rule "${a.name}": ${wording.join(" and ")} reworded` });
  }
  for (const f of found) out.push({ level: f.level, text: f.text });
  return effectOf(found);
}

function overlaps(x: Rule, y: Rule): boolean {
  return patternsOf(x).some((p) => patternsOf(y).some((q) => patternsOverlap(p, q)));
}

/** Longest common subsequence of names: the rules that kept their relative order. */
function stableNames(before: string[], after: string[]): Set<string> {
  const n = before.length;
  const m = after.length;
  const dp: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) dp[i][j] = before[i] === after[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const keep = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      keep.add(before[i]);
      i++;
      j++;
    } else if (dp[i + 1][j] >= dp[i][j + 1]) i++;
    else j++;
  }
  return keep;
}

function effectiveDefaults(p: Policy): Defaults {
  return p.defaults ?? { decision: "deny" };
}

function analyzeDefaults(bp: Policy, ap: Policy, out: Finding[]): DefaultsChange | undefined {
  const b = effectiveDefaults(bp);
  const a = effectiveDefaults(ap);
  const val = (d: Defaults, k: string) => {
    if (k === "required_approvals") return d.decision === "approval" || d.unknown_cost === "approval" ? (d.required_approvals ?? 1) : null;
    if (k === "expires_in") return d.decision === "approval" || d.unknown_cost === "approval" ? durationSeconds(d.expires_in) : null;
    return (d as Record<string, unknown>)[k] ?? null;
  };
  const fields = ["decision", "unknown_cost", "required_approvals", "approver_group", "expires_in", "reason"].filter((k) => !same(val(b, k), val(a, k)));
  if (fields.length === 0) return undefined;
  const found: { level: RiskLevel; effect: ChangeEffect }[] = [];
  if (b.decision !== a.decision) {
    const t = transition(b.decision, a.decision);
    found.push(t);
    out.push({ level: t.level, text: `default decision ${b.decision} → ${a.decision}${a.decision === "allow" ? ": calls no rule matches are now allowed" : ""}` });
  }
  if ((b.unknown_cost ?? null) !== (a.unknown_cost ?? null)) {
    // Absent, an unknown cost is over every threshold and budgets refuse it: as strict as deny.
    const t = transition(b.unknown_cost ?? "deny", a.unknown_cost ?? "deny");
    found.push(t);
    out.push({ level: t.level, text: `defaults.unknown_cost ${b.unknown_cost ?? "(unset)"} → ${a.unknown_cost ?? "(unset)"}${a.unknown_cost === "allow" ? ": cost rules and budgets now admit calls of unknown cost" : ""}` });
  }
  if (b.decision === a.decision && a.decision === "approval") {
    const rb = b.required_approvals ?? 1;
    const ra = a.required_approvals ?? 1;
    if (ra !== rb) {
      const t = { level: (ra < rb ? "medium" : "low") as RiskLevel, effect: (ra < rb ? "loosens" : "tightens") as ChangeEffect };
      found.push(t);
      out.push({ level: t.level, text: `default approval needs ${ra} approver(s) (was ${rb})` });
    }
    if ((b.approver_group ?? null) !== (a.approver_group ?? null)) {
      found.push({ level: "medium", effect: "unclear" });
      out.push({ level: "medium", text: `default approvals now go to ${a.approver_group ?? "any approver"} (was ${b.approver_group ?? "any approver"})` });
    }
  }
  return { before: b, after: a, fields_changed: fields, effect: effectOf(found) };
}

// ---------------------------------------------------------------------------------------------

/** Compares the current policy with a proposed one. */
export function diffPolicies(current: Policy, proposed: Policy): PolicyDiff {
  const findings: Finding[] = [];
  const changes: RuleChange[] = [];
  const before = current.rules;
  const after = proposed.rules;
  const bIndex = new Map(before.map((r, i) => [r.name, i]));
  const aIndex = new Map(after.map((r, i) => [r.name, i]));

  // Renames: a removed and an added rule identical but for the name.
  const removedNames = before.filter((r) => !aIndex.has(r.name));
  const addedNames = after.filter((r) => !bIndex.has(r.name));
  const renamedTo = new Map<string, string>(); // new name → old name
  const usedOld = new Set<string>();
  for (const r of addedNames) {
    const old = removedNames.find((o) => !usedOld.has(o.name) && bodyKey(o) === bodyKey(r));
    if (old) {
      renamedTo.set(r.name, old.name);
      usedOld.add(old.name);
    }
  }
  const beforeOrder = before.map((r) => renamedTo.get(r.name) ?? r.name).filter((n) => aIndex.has(n) || usedOld.has(n));
  const afterOrder = after.map((r) => renamedTo.get(r.name) ?? r.name).filter((n) => bIndex.has(n));
  const stable = stableNames(beforeOrder, afterOrder);

  after.forEach((a, ai) => {
    const oldName = renamedTo.get(a.name);
    const bi = bIndex.get(oldName ?? a.name);
    if (bi === undefined) {
      const effect = analyzeAdded(a, after, ai, findings);
      changes.push({ kind: "added", name: a.name, after: a, to_index: ai, effect });
      return;
    }
    const b = before[bi];
    const moved = !stable.has(oldName ?? a.name);
    const fields = changedFields(b, a);
    if (oldName) {
      findings.push({ level: "low", text: `rule "${oldName}" renamed to "${a.name}"` });
      changes.push({ kind: "modified", name: a.name, renamed_from: oldName, before: b, after: a, fields_changed: ["name"], from_index: bi, to_index: ai, effect: "neutral" });
      return;
    }
    if (fields.length > 0) {
      const effect = analyzeModified(b, a, after, ai, fields, findings);
      changes.push({ kind: "modified", name: a.name, before: b, after: a, fields_changed: fields, ...(moved ? { from_index: bi, to_index: ai } : {}), effect });
    } else if (moved) {
      changes.push({ kind: "moved", name: a.name, from_index: bi, to_index: ai, effect: "neutral" });
    }
  });
  for (const b of before) {
    if (aIndex.has(b.name) || usedOld.has(b.name)) continue;
    const effect = analyzeRemoved(b, findings);
    changes.push({ kind: "removed", name: b.name, before: b, from_index: bIndex.get(b.name), effect });
  }

  // Order: an allow rule now ahead of a deny/approval rule it overlaps shadows (part of) it.
  const common = after.filter((r) => bIndex.has(r.name));
  for (let i = 0; i < common.length; i++) {
    for (let j = i + 1; j < common.length; j++) {
      const x = common[i]; // now above
      const y = common[j];
      if (!isActive(x) || !isActive(y) || (bIndex.get(x.name) ?? 0) < (bIndex.get(y.name) ?? 0) || !overlaps(x, y)) continue;
      const change = changes.find((c) => c.name === x.name) ?? changes.find((c) => c.name === y.name);
      if (x.action === "allow" && restrictive(y.action)) {
        findings.push({ level: "high", text: `rule "${x.name}" (allow) now comes before "${y.name}" (${y.action}) and can shadow it` });
        if (change) change.effect = "loosens";
      } else if (restrictive(x.action) && y.action === "allow") {
        findings.push({ level: "low", text: `rule "${x.name}" (${x.action}) now takes precedence over "${y.name}" (allow)` });
        if (change && change.effect === "neutral") change.effect = "tightens";
      }
    }
  }

  const defaults_changed = analyzeDefaults(current, proposed, findings);
  const facts_changed = !same(current.facts ?? {}, proposed.facts ?? {});
  if (facts_changed) findings.push({ level: "medium", text: "fact sources (`facts`) changed: conditions may read different arguments" });

  const risk = riskOf(findings);
  return {
    rule_changes: changes,
    ...(defaults_changed ? { defaults_changed } : {}),
    ...(facts_changed ? { facts_changed } : {}),
    risk,
    headline: headlineOf(changes, defaults_changed, facts_changed, risk),
  };
}

function riskOf(findings: Finding[]): PolicyRisk {
  const sorted = findings
    .map((f, i) => ({ ...f, i }))
    .sort((x, y) => LEVELS.indexOf(y.level) - LEVELS.indexOf(x.level) || x.i - y.i);
  const reasons = [...new Set(sorted.map((f) => f.text))];
  const level = sorted.reduce<RiskLevel>((acc, f) => maxLevel(acc, f.level), "low");
  const score = Math.min(100, sorted.reduce((s, f) => s + WEIGHT[f.level], 0));
  return { level, score, reasons };
}

function headlineOf(changes: RuleChange[], defaults: DefaultsChange | undefined, facts: boolean, risk: PolicyRisk): string {
  const count = (k: RuleChangeKind) => changes.filter((c) => c.kind === k).length;
  const segs: [number, string][] = [
    [count("modified"), "changed"],
    [count("moved"), "moved"],
    [count("added"), "added"],
    [count("removed"), "removed"],
  ];
  const parts = segs.filter(([n]) => n > 0).map(([n, what], i) => (i === 0 ? `${n} rule${n === 1 ? "" : "s"} ${what}` : `${n} ${what}`));
  if (defaults) parts.push(defaults.fields_changed.includes("decision") ? `default ${defaults.before.decision} → ${defaults.after.decision}` : "defaults changed");
  if (facts) parts.push("fact sources changed");
  if (parts.length === 0) return "No changes: LOW risk — the proposed policy is equivalent to the current one";
  const summary = parts.join(", ");
  const top = risk.reasons[0];
  return `${summary[0].toUpperCase()}${summary.slice(1)}: ${risk.level.toUpperCase()} risk${top ? ` — ${top}` : ""}`;
}
