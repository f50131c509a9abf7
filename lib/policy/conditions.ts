/**
 * `where` blocks compiled to closures. Each condition has a fast `test` (the hot path) and a
 * `trace` that reports expected/actual/held by calling the same `test`, so a traced and an
 * untraced evaluation cannot disagree. Conditions run in a fixed order (cheap context checks
 * first), never in YAML key order: where one condition fails and a later one would error,
 * reordering keys must not change the decision.
 */
import { compileHostPatterns } from "./hosts";
import { getAt, parseArgPath } from "./json-path";
import { isUnderAny, normalizeAbsolutePath } from "./paths";
import { compileRegex } from "./regex";
import { compileWindow } from "./time-window";
import { CallFacts, FactError } from "./facts";
import type { ArgTest, Conditions, ParamConstraint, TimeWindow } from "./schema";
import type { ConditionTrace } from "./types";

export interface CompiledCondition {
  key: string;
  expected: unknown;
  test(f: CallFacts): boolean;
  trace(f: CallFacts): ConditionTrace;
}

/** Evaluation order of condition keys. */
export const CONDITION_ORDER: readonly (keyof Conditions)[] = [
  "tenant_in", "subject_in", "roles_any", "target_roles", "method", "ops",
  "host_in", "host_not_in", "path_under", "path_not_under", "body_bytes_over",
  "amount_cents_over", "cap_cents", "estimated_cost_usd_over", "params", "args",
  "time_window", "not", "any",
];

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function simple(key: string, expected: unknown, test: (f: CallFacts) => boolean, actual: (f: CallFacts) => unknown): CompiledCondition {
  return {
    key,
    expected,
    test,
    trace: (f) => {
      const held = test(f);
      return { condition: key, expected, actual: actual(f), held };
    },
  };
}

/** Compile a block: all its conditions must hold. */
export function compileBlock(where: Conditions | undefined): CompiledCondition[] {
  if (!where) return [];
  const out: CompiledCondition[] = [];
  for (const key of CONDITION_ORDER) {
    const v = where[key];
    if (v === undefined) continue;
    out.push(compileOne(key, v as never));
  }
  return out;
}

export function blockTest(conds: readonly CompiledCondition[]): (f: CallFacts) => boolean {
  // Specialized shapes keep the hot path free of loop overhead for the common small blocks.
  if (conds.length === 0) return () => true;
  if (conds.length === 1) return conds[0].test;
  if (conds.length === 2) {
    const [a, b] = [conds[0].test, conds[1].test];
    return (f) => a(f) && b(f);
  }
  const tests = conds.map((c) => c.test);
  return (f) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](f)) return false;
    return true;
  };
}

/** Trace a block with the same short-circuit as the test: later conditions are listed, unevaluated. */
export function traceBlock(conds: readonly CompiledCondition[], f: CallFacts, out: ConditionTrace[]): boolean {
  let ok = true;
  for (const c of conds) {
    if (!ok) {
      out.push({ condition: c.key, expected: c.expected, actual: null, held: null });
      continue;
    }
    let t: ConditionTrace;
    try {
      t = c.trace(f);
    } catch (e) {
      // Keep the failing condition in the trace; the evaluator turns the error into a deny.
      out.push({ condition: c.key, expected: c.expected, actual: `error: ${(e as Error)?.message ?? String(e)}`, held: null });
      throw e;
    }
    out.push(t);
    if (!t.held) ok = false;
  }
  return ok;
}

function ctxTest(key: string, values: string | string[], get: (f: CallFacts) => string | undefined): CompiledCondition {
  const set = new Set(list(values));
  return simple(key, [...set], (f) => {
    const v = get(f);
    return v !== undefined && set.has(v);
  }, (f) => get(f) ?? null);
}

function compileOne(key: keyof Conditions, v: NonNullable<Conditions[keyof Conditions]>): CompiledCondition {
  switch (key) {
    case "tenant_in":
      return ctxTest(key, v as string | string[], (f) => f.ctx.tenant);
    case "subject_in":
      return ctxTest(key, v as string | string[], (f) => f.ctx.subject);
    case "target_roles":
      return ctxTest(key, v as string | string[], (f) => f.ctx.targetRole);
    case "roles_any": {
      const set = new Set(list(v as string | string[]));
      return simple(key, [...set], (f) => {
        const roles = f.ctx.roles;
        if (!roles) return false;
        for (const r of roles) if (set.has(r)) return true;
        return false;
      }, (f) => f.ctx.roles ?? []);
    }
    case "method": {
      const set = new Set(list(v as string | string[]).map((m) => m.trim().toUpperCase()));
      return simple(key, [...set], (f) => {
        const m = f.method();
        return m !== null && set.has(m);
      }, (f) => f.method());
    }
    case "ops": {
      const set = new Set(list(v as string | string[]));
      return simple(key, [...set], (f) => {
        const op = f.op();
        return op !== null && set.has(op);
      }, (f) => f.op());
    }
    case "host_in":
    case "host_not_in": {
      const patterns = list(v as string | string[]);
      const match = compileHostPatterns(patterns);
      const negate = key === "host_not_in";
      // No host at all: neither condition holds, so a rule about hosts does not apply.
      return simple(key, patterns, (f) => {
        const h = f.host();
        return h !== null && match(h) !== negate;
      }, (f) => f.host());
    }
    case "path_under":
    case "path_not_under": {
      const roots = list(v as string | string[]).map((r) => normalizeAbsolutePath(r));
      const negate = key === "path_not_under";
      // path_under: every path the call names is inside a root. path_not_under: at least one
      // is outside all roots. The two are exact complements whenever the call names a path.
      return simple(key, roots, (f) => {
        const ps = f.paths();
        if (ps === null) return false;
        if (!negate) {
          for (const p of ps) if (!isUnderAny(p, roots)) return false;
          return true;
        }
        for (const p of ps) if (!isUnderAny(p, roots)) return true;
        return false;
      }, (f) => {
        const ps = f.paths();
        return ps === null ? null : ps.length === 1 ? ps[0] : ps;
      });
    }
    case "body_bytes_over": {
      const n = v as number;
      return simple(key, n, (f) => f.bodyBytes() > n, (f) => f.bodyBytes());
    }
    case "amount_cents_over": {
      const n = v as number;
      // An unknown amount counts as over: money rules gate spending, and silence is not cheap.
      return simple(key, n, (f) => {
        const a = f.amount();
        return a === null || a > n;
      }, (f) => f.amount() ?? "unknown");
    }
    case "cap_cents": {
      const n = v as number;
      return simple(key, n, (f) => {
        const a = f.amount();
        return a !== null && a <= n;
      }, (f) => f.amount() ?? "unknown");
    }
    case "estimated_cost_usd_over": {
      const n = v as number;
      // An unknown cost (a cloud operation the catalog cannot price) counts as over: fail closed.
      return simple(key, n, (f) => {
        const c = f.cost();
        return !c.known || c.usd > n;
      }, (f) => {
        const c = f.cost();
        return c.known ? c.usd : `unknown (${c.note.replace(/^cost unknown: /, "")}): counted as over`;
      });
    }
    case "params":
      return compileParams(v as Record<string, ParamConstraint>);
    case "args":
      return compileArgs(v as Record<string, ArgTest>);
    case "time_window":
      return compileTimeWindows(list(v as TimeWindow | TimeWindow[]));
    case "not": {
      const inner = compileBlock(v as Conditions);
      const t = blockTest(inner);
      return {
        key,
        expected: v,
        test: (f) => !t(f),
        trace: (f) => {
          const children: ConditionTrace[] = [];
          const innerHeld = traceBlock(inner, f, children);
          return { condition: "not", expected: v, actual: innerHeld ? "inner block held" : "inner block did not hold", held: !innerHeld, children };
        },
      };
    }
    case "any": {
      const blocks = (v as Conditions[]).map((b) => ({ spec: b, conds: compileBlock(b) }));
      const tests = blocks.map((b) => blockTest(b.conds));
      return {
        key,
        expected: v,
        test: (f) => {
          for (const t of tests) if (t(f)) return true;
          return false;
        },
        trace: (f) => {
          const children: ConditionTrace[] = [];
          let held = false;
          blocks.forEach((b, i) => {
            if (held) {
              children.push({ condition: `any[${i}]`, expected: b.spec, actual: null, held: null });
              return;
            }
            const sub: ConditionTrace[] = [];
            const ok = traceBlock(b.conds, f, sub);
            children.push({ condition: `any[${i}]`, expected: b.spec, actual: null, held: ok, children: sub });
            if (ok) held = true;
          });
          return { condition: "any", expected: v, actual: null, held, children };
        },
      };
    }
    default:
      throw new Error(`unknown condition ${String(key)}`);
  }
}

function compileTimeWindows(windows: TimeWindow[]): CompiledCondition {
  const compiled = windows.map(compileWindow);
  const nowOf = (f: CallFacts): Date => {
    const now = f.ctx.now;
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new FactError("time_window needs a valid `now` in the context");
    return now;
  };
  return simple("time_window", windows.length === 1 ? windows[0] : windows, (f) => {
    const now = nowOf(f);
    for (const w of compiled) if (w.test(w.clock(now))) return true;
    return false;
  }, (f) => {
    const now = nowOf(f);
    const zones = [...new Set(compiled.map((w) => w.timezone))];
    return zones.map((z) => compiled.find((w) => w.timezone === z)!.clock(now).text).join(", ");
  });
}

const TYPE_TESTS: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  int: (v) => typeof v === "number" && Number.isInteger(v),
  float: (v) => typeof v === "number" && Number.isFinite(v),
  bool: (v) => typeof v === "boolean",
  list: (v) => Array.isArray(v),
  dict: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
};
TYPE_TESTS.integer = TYPE_TESTS.int;
TYPE_TESTS.number = TYPE_TESTS.float;
TYPE_TESTS.boolean = TYPE_TESTS.bool;
TYPE_TESTS.array = TYPE_TESTS.list;
TYPE_TESTS.object = TYPE_TESTS.dict;

type ParamCheck = (args: Record<string, unknown>) => string | null;

/** TailOps parameter constraints; holds when every parameter satisfies all of its constraints. */
function compileParams(spec: Record<string, ParamConstraint>): CompiledCondition {
  const checks: ParamCheck[] = Object.keys(spec)
    .sort()
    .map((name) => compileParam(name, spec[name]));
  const violations = (f: CallFacts): string[] => {
    const out: string[] = [];
    for (const c of checks) {
      const v = c(f.args);
      if (v !== null) out.push(v);
    }
    return out;
  };
  return simple("params", spec, (f) => {
    for (const c of checks) if (c(f.args) !== null) return false;
    return true;
  }, (f) => {
    const v = violations(f);
    return v.length === 0 ? "all constraints satisfied" : v;
  });
}

function compileParam(name: string, c: ParamConstraint): ParamCheck {
  const typeTest = c.type ? TYPE_TESTS[c.type] : null;
  const re = c.pattern !== undefined ? compileRegex(c.pattern) : null;
  const allow = c.allowlist ? new Set<unknown>(c.allowlist) : null;
  const hasOwn = Object.prototype.hasOwnProperty;
  return (args) => {
    const v = hasOwn.call(args, name) ? args[name] : undefined;
    if (v === undefined || v === null) return c.required ? `${name}: required` : null;
    if (typeTest && !typeTest(v)) return `${name}: expected type ${c.type}`;
    if (c.max_length !== undefined) {
      const len = typeof v === "string" ? [...v].length : Array.isArray(v) ? v.length : null;
      if (len === null) return `${name}: max_length needs a string or list`;
      if (len > c.max_length) return `${name}: length ${len} > max_length ${c.max_length}`;
    }
    if (re) {
      if (typeof v !== "string") return `${name}: pattern needs a string`;
      if (!re.test(v)) return `${name}: does not match pattern ${c.pattern}`;
    }
    if (c.min !== undefined || c.max !== undefined) {
      if (typeof v !== "number" || !Number.isFinite(v)) return `${name}: min/max need a number`;
      if (c.min !== undefined && v < c.min) return `${name}: ${v} < min ${c.min}`;
      if (c.max !== undefined && v > c.max) return `${name}: ${v} > max ${c.max}`;
    }
    if (allow && !allow.has(v as never)) return `${name}: ${JSON.stringify(v)} not in allowlist`;
    return null;
  };
}

/** Generic argument conditions: every listed path must pass every listed test. */
function compileArgs(spec: Record<string, ArgTest>): CompiledCondition {
  const checks = Object.keys(spec)
    .sort()
    .map((path) => {
      const segs = parseArgPath(path) ?? [path];
      const t = spec[path];
      const re = t.regex !== undefined ? compileRegex(t.regex) : null;
      const hasEquals = Object.prototype.hasOwnProperty.call(t, "equals");
      const test = (v: unknown): boolean => {
        if (t.exists !== undefined && (v !== undefined) !== t.exists) return false;
        if (v === undefined) return t.exists === false && !hasEquals && !t.in && !re && t.lt === undefined && t.gt === undefined;
        if (hasEquals && !deepEqual(v, t.equals)) return false;
        if (t.in && !t.in.some((x) => deepEqual(v, x))) return false;
        if (re && (typeof v !== "string" || !re.test(v))) return false;
        if (t.lt !== undefined && (typeof v !== "number" || !(v < t.lt))) return false;
        if (t.gt !== undefined && (typeof v !== "number" || !(v > t.gt))) return false;
        return true;
      };
      return { path, segs, test };
    });
  return simple("args", spec, (f) => {
    for (const c of checks) if (!c.test(getAt(f.args, c.segs))) return false;
    return true;
  }, (f) => {
    const actual: Record<string, unknown> = {};
    for (const c of checks) {
      const v = getAt(f.args, c.segs);
      actual[c.path] = v === undefined ? "(absent)" : v;
    }
    return actual;
  });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}
