/**
 * Facts of one call (host, method, paths, body size, amount, op, cost), read from the arguments
 * named by the tool's fact sources and computed at most once per evaluation. A fact argument
 * that is present but unusable (a relative path, a number where a URL belongs) throws
 * FactError: the evaluator turns that into a deny, so a malformed call never slips past a rule.
 */
import { hostFromValue } from "./hosts";
import { getAt, parseArgPath, type PathSegment } from "./json-path";
import { describeType, normalizeAbsolutePath } from "./paths";
import { compileGlob, isGlob, type NameTest } from "./glob";
import { utf8ByteLength } from "./utf8";
import type { FactMap } from "./schema";
import type { EvalContext, FactName, FactSources, ToolCall } from "./types";

export class FactError extends Error {}

export const DEFAULT_FACT_SOURCES: FactSources = {
  host: ["url", "host"],
  method: ["method"],
  path: ["path"],
  body: ["body", "content"],
  amount: ["amount_cents"],
  op: ["op"],
  cost: ["estimated_cost_usd"],
};

export interface ResolvedSource {
  text: string;
  segs: PathSegment[];
}
export type ResolvedSources = Record<FactName, ResolvedSource[]>;

export function resolveSources(s: FactSources): ResolvedSources {
  const out = {} as ResolvedSources;
  for (const k of Object.keys(s) as FactName[]) {
    out[k] = s[k].map((text) => ({ text, segs: parseArgPath(text) ?? [text] }));
  }
  return out;
}

interface FactRule {
  test: NameTest;
  exact: boolean;
  map: FactMap;
}

/** Per-tool fact sources: defaults, then compile-option maps, then the policy's; exact names beat globs. */
export class FactResolver {
  private readonly layers: FactRule[][];
  private readonly cache = new Map<string, ResolvedSources>();
  private readonly defaults: ResolvedSources;

  constructor(...maps: (Record<string, FactMap> | undefined)[]) {
    this.layers = maps
      .filter((m): m is Record<string, FactMap> => !!m)
      .map((m) => Object.entries(m).map(([pattern, map]) => ({ test: compileGlob(pattern), exact: !isGlob(pattern), map })));
    this.defaults = resolveSources(DEFAULT_FACT_SOURCES);
  }

  forTool(tool: string): ResolvedSources {
    const hit = this.cache.get(tool);
    if (hit) return hit;
    let merged: FactSources | null = null;
    for (const layer of this.layers) {
      for (const exactPass of [false, true]) {
        for (const fr of layer) {
          if (fr.exact !== exactPass || !fr.test(tool)) continue;
          merged ??= { ...DEFAULT_FACT_SOURCES };
          for (const [k, v] of Object.entries(fr.map)) {
            if (v !== undefined) merged[k as FactName] = typeof v === "string" ? [v] : [...v];
          }
        }
      }
    }
    const resolved = merged ? resolveSources(merged) : this.defaults;
    if (this.cache.size < 10_000) this.cache.set(tool, resolved);
    return resolved;
  }
}

const UNSET = Symbol("unset");
type Memo<T> = T | typeof UNSET;

/** Lazily computed facts of one call. */
export class CallFacts {
  readonly args: Record<string, unknown>;
  private _host: Memo<string | null> = UNSET;
  private _method: Memo<string | null> = UNSET;
  private _paths: Memo<string[] | null> = UNSET;
  private _body: Memo<number> = UNSET;
  private _cost: Memo<number | null> = UNSET;
  private _amount: Memo<number | null> = UNSET;
  private _op: Memo<string | null> = UNSET;

  constructor(
    readonly call: ToolCall,
    readonly ctx: EvalContext,
    private readonly src: ResolvedSources,
  ) {
    this.args = call.arguments ?? {};
  }

  private first(name: FactName): { source: string; value: unknown } | null {
    for (const s of this.src[name]) {
      const v = getAt(this.args, s.segs);
      if (v !== undefined && v !== null) return { source: s.text, value: v };
    }
    return null;
  }

  host(): string | null {
    if (this._host === UNSET) {
      const f = this.first("host");
      try {
        this._host = f ? hostFromValue(f.value) : null;
      } catch (e) {
        throw new FactError(`argument \`${f!.source}\`: ${(e as Error).message}`);
      }
    }
    return this._host;
  }

  method(): string | null {
    if (this._method === UNSET) {
      const f = this.first("method");
      if (f && typeof f.value !== "string") throw new FactError(`argument \`${f.source}\` (method) must be a string, got ${describeType(f.value)}`);
      this._method = f ? (f.value as string).trim().toUpperCase() : null;
    }
    return this._method;
  }

  /** Every path the call names (all sources, arrays flattened), normalized; null when none. */
  paths(): string[] | null {
    if (this._paths === UNSET) {
      const out: string[] = [];
      for (const s of this.src.path) {
        const v = getAt(this.args, s.segs);
        if (v === undefined || v === null) continue;
        const items = Array.isArray(v) ? v : [v];
        for (const item of items) {
          try {
            out.push(normalizeAbsolutePath(item));
          } catch (e) {
            throw new FactError(`argument \`${s.text}\`: ${(e as Error).message}`);
          }
        }
      }
      this._paths = out.length > 0 ? out : null;
    }
    return this._paths;
  }

  /** UTF-8 size of the body; a structured body counts as its JSON text; no body is 0 bytes. */
  bodyBytes(): number {
    if (this._body === UNSET) {
      const f = this.first("body");
      if (!f) this._body = 0;
      else if (typeof f.value === "string") this._body = utf8ByteLength(f.value);
      else this._body = utf8ByteLength(JSON.stringify(f.value) ?? "");
    }
    return this._body;
  }

  /**
   * Estimated cost in USD: the largest of the pipeline's estimate, the call's own argument and
   * the injected estimator, so a caller cannot talk its cost down. null when nothing knows.
   */
  cost(): number | null {
    if (this._cost === UNSET) {
      let best: number | null = null;
      const take = (v: unknown, what: string) => {
        if (v === undefined || v === null) return;
        const n = toNumber(v);
        if (n === null) throw new FactError(`${what} must be a number, got ${describeType(v)} ${JSON.stringify(v)}`);
        if (best === null || n > best) best = n;
      };
      take(this.call.estimated_cost_usd, "estimated_cost_usd");
      const f = this.first("cost");
      if (f) take(f.value, `argument \`${f.source}\``);
      if (this.ctx.estimateCost) take(this.ctx.estimateCost(this.call), "the cost estimator's result");
      this._cost = best;
    }
    return this._cost;
  }

  amount(): number | null {
    if (this._amount === UNSET) {
      const f = this.first("amount");
      if (!f) this._amount = null;
      else {
        const n = toNumber(f.value);
        if (n === null) throw new FactError(`argument \`${f.source}\` must be a number, got ${describeType(f.value)} ${JSON.stringify(f.value)}`);
        this._amount = n;
      }
    }
    return this._amount;
  }

  op(): string | null {
    if (this._op === UNSET) {
      const f = this.first("op");
      if (f && typeof f.value !== "string") throw new FactError(`argument \`${f.source}\` (op) must be a string, got ${describeType(f.value)}`);
      this._op = f ? (f.value as string) : null;
    }
    return this._op;
  }
}

/** Finite numbers, or decimal strings (an upstream API would coerce "20000" too). */
function toNumber(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" && /^\s*-?\d+(?:\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}
