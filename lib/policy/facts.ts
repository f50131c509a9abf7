/**
 * Facts of one call (host, method, paths, body size, amount, op, cost), read from EVERY argument
 * that can supply them and computed at most once per evaluation. The arguments that count are a
 * documented default list per fact plus whatever the upstream's and the policy's `facts` maps
 * name: a mapping adds arguments, it never hides a default one, so `{"url": "http://ok/",
 * "host": "evil.com"}` cannot show the policy one destination and send to another.
 *
 * Several sources combine fail-closed: two different hosts (or methods, or ops) in one call are a
 * FactError; body sizes are summed; every path must pass; amounts and costs take the largest.
 * A fact argument that is present but unusable (a relative path, a number where a URL belongs, a
 * negative amount) throws FactError too: the evaluator turns that into a deny.
 */
import { estimateCallCost, statedAmount } from "@/lib/cost/call-cost";
import { hostFromValue } from "./hosts";
import { getAt, parseArgPath, type PathSegment } from "./json-path";
import { describeType, normalizeAbsolutePath } from "./paths";
import { compileGlob, isGlob, type NameTest } from "./glob";
import { utf8ByteLength } from "./utf8";
import type { FactMap } from "./schema";
import type { CostFact, EvalContext, FactName, FactSources, ToolCall } from "./types";

export class FactError extends Error {}

/** The arguments every tool's facts are read from (documented in README.md, "Facts"). */
export const DEFAULT_FACT_SOURCES: FactSources = {
  host: ["url", "uri", "endpoint", "base_url", "host", "hostname"],
  method: ["method", "http_method"],
  path: ["path", "paths", "file", "file_path", "filepath"],
  body: ["body", "content", "data", "payload"],
  amount: ["amount_cents"],
  op: ["op"],
  cost: ["estimated_cost_usd"],
};

const FACTS = Object.keys(DEFAULT_FACT_SOURCES) as FactName[];

export interface ResolvedSource {
  text: string;
  segs: PathSegment[];
  /** The key, when the path is one plain key: read without walking a path (the common case). */
  key: string | null;
}
export type ResolvedSources = Record<FactName, ResolvedSource[]>;

function resolveOne(text: string): ResolvedSource {
  const segs = parseArgPath(text) ?? [text];
  return { text, segs, key: segs.length === 1 && typeof segs[0] === "string" ? segs[0] : null };
}

/** Sources per fact, in order, without duplicates (`$.body` and `body` are the same argument). */
export function resolveSources(...layers: Partial<Record<FactName, readonly string[]>>[]): ResolvedSources {
  const out = {} as ResolvedSources;
  for (const f of FACTS) {
    const seen = new Set<string>();
    out[f] = [];
    for (const layer of layers) {
      for (const text of layer[f] ?? []) {
        const r = resolveOne(text);
        const id = JSON.stringify(r.segs);
        if (seen.has(id)) continue;
        seen.add(id);
        out[f].push(r);
      }
    }
  }
  return out;
}

interface FactRule {
  test: NameTest;
  map: FactMap;
}

const asList = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === "string" ? [v] : v);

/** Per-tool fact sources: the defaults plus every `facts` entry (compile options, then the policy's) whose pattern matches the tool. */
export class FactResolver {
  private readonly entries: FactRule[];
  private readonly cache = new Map<string, ResolvedSources>();
  private readonly defaults: ResolvedSources;

  constructor(...maps: (Readonly<Record<string, FactMap>> | undefined)[]) {
    // Exact names after globs within each map, so the order of sources reads general → specific.
    this.entries = maps
      .filter((m): m is Readonly<Record<string, FactMap>> => !!m)
      .flatMap((m) => {
        const all = Object.entries(m).map(([pattern, map]) => ({ test: compileGlob(pattern), exact: !isGlob(pattern), map }));
        return [...all.filter((e) => !e.exact), ...all.filter((e) => e.exact)];
      });
    this.defaults = resolveSources(DEFAULT_FACT_SOURCES);
  }

  forTool(tool: string): ResolvedSources {
    const hit = this.cache.get(tool);
    if (hit) return hit;
    const layers: Partial<Record<FactName, readonly string[]>>[] = [];
    for (const e of this.entries) {
      if (!e.test(tool)) continue;
      const layer: Partial<Record<FactName, readonly string[]>> = {};
      for (const f of FACTS) layer[f] = asList(e.map[f]);
      layers.push(layer);
    }
    const resolved = layers.length > 0 ? resolveSources(DEFAULT_FACT_SOURCES, ...layers) : this.defaults;
    if (this.cache.size < 10_000) this.cache.set(tool, resolved);
    return resolved;
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

function read(args: Record<string, unknown>, s: ResolvedSource): unknown {
  if (s.key !== null) return hasOwn.call(args, s.key) ? args[s.key] : undefined;
  return getAt(args, s.segs);
}

const UNSET = Symbol("unset");
type Memo<T> = T | typeof UNSET;

/** The cost fact: a figure, or unknown (with why). */
export type CostValue = { known: true; usd: number } | { known: false; note: string };

/** Lazily computed facts of one call. */
export class CallFacts {
  readonly args: Record<string, unknown>;
  private _host: Memo<string | null> = UNSET;
  private _method: Memo<string | null> = UNSET;
  private _paths: Memo<string[] | null> = UNSET;
  private _body: Memo<number> = UNSET;
  private _stated: Memo<number | null> = UNSET;
  private _cost: Memo<CostValue> = UNSET;
  private _amount: Memo<number | null> = UNSET;
  private _op: Memo<string | null> = UNSET;

  constructor(
    readonly call: ToolCall,
    readonly ctx: EvalContext,
    private readonly src: ResolvedSources,
  ) {
    this.args = call.arguments ?? {};
  }

  /**
   * Money is checked on every call, whether or not a rule reads it: a negative or non-finite
   * amount or cost is invalid input (it would refund a budget or slip under a cap), so the
   * call is denied even by a policy without money rules.
   */
  checkMoney(): void {
    this.amount();
    this.statedCost();
  }

  /** The one destination host of the call; null when no argument names one. */
  host(): string | null {
    if (this._host === UNSET) {
      let host: string | null = null;
      let from = "";
      for (const s of this.src.host) {
        const v = read(this.args, s);
        if (v === undefined || v === null) continue;
        let h: string;
        try {
          h = hostFromValue(v);
        } catch (e) {
          throw new FactError(`argument \`${s.text}\`: ${(e as Error).message}`);
        }
        if (host === null) {
          host = h;
          from = s.text;
        } else if (h !== host) {
          throw new FactError(`conflicting hosts: argument \`${from}\` names ${host} but \`${s.text}\` names ${h}; a call must name one destination host`);
        }
      }
      this._host = host;
    }
    return this._host;
  }

  method(): string | null {
    if (this._method === UNSET) this._method = this.single("method", "methods", (v) => v.trim().toUpperCase());
    return this._method;
  }

  op(): string | null {
    if (this._op === UNSET) this._op = this.single("op", "ops", (v) => v);
    return this._op;
  }

  /** A string fact every source must agree on. */
  private single(name: "method" | "op", plural: string, norm: (v: string) => string): string | null {
    let value: string | null = null;
    let from = "";
    for (const s of this.src[name]) {
      const v = read(this.args, s);
      if (v === undefined || v === null) continue;
      if (typeof v !== "string") throw new FactError(`argument \`${s.text}\` (${name}) must be a string, got ${describeType(v)}`);
      const n = norm(v);
      if (value === null) {
        value = n;
        from = s.text;
      } else if (n !== value) {
        throw new FactError(`conflicting ${plural}: argument \`${from}\` says ${JSON.stringify(value)} but \`${s.text}\` says ${JSON.stringify(n)}; a call must name one ${name}`);
      }
    }
    return value;
  }

  /** Every path the call names (all sources, arrays flattened), normalized; null when none. */
  paths(): string[] | null {
    if (this._paths === UNSET) {
      const out: string[] = [];
      for (const s of this.src.path) {
        const v = read(this.args, s);
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

  /** UTF-8 size of all bodies together; a structured body counts as its JSON text; no body is 0 bytes. */
  bodyBytes(): number {
    if (this._body === UNSET) {
      let total = 0;
      for (const s of this.src.body) {
        const v = read(this.args, s);
        if (v === undefined || v === null) continue;
        total += typeof v === "string" ? utf8ByteLength(v) : utf8ByteLength(JSON.stringify(v) ?? "");
      }
      this._body = total;
    }
    return this._body;
  }

  /** The largest cost the call itself states (call-level and cost arguments); null when none. */
  statedCost(): number | null {
    if (this._stated === UNSET) {
      // No closures here: this runs on every call (checkMoney).
      let best = money(this.call.estimated_cost_usd, "estimated_cost_usd") ?? null;
      const sources = this.src.cost;
      for (let i = 0; i < sources.length; i++) {
        const v = read(this.args, sources[i]);
        if (v === undefined || v === null) continue;
        const n = money(v, sources[i])!;
        if (best === null || n > best) best = n;
      }
      this._stated = best;
    }
    return this._stated;
  }

  /**
   * Estimated cost in USD: the estimator's catalog price is the floor and a stated cost can only
   * raise it. A priced call the catalog cannot price has an unknown cost, whatever it states.
   */
  cost(): CostValue {
    if (this._cost === UNSET) {
      const stated = this.statedCost();
      const est = this.estimate();
      this._cost = !est.known ? { known: false, note: est.note ?? "cost unknown" } : { known: true, usd: stated !== null && stated > est.usd ? stated : est.usd };
    }
    return this._cost;
  }

  private estimate(): CostFact {
    let r: CostFact | number | null | undefined;
    try {
      r = this.ctx.estimateCost ? this.ctx.estimateCost(this.call) : defaultEstimate(this.call);
    } catch (e) {
      throw new FactError(`the call's cost cannot be estimated: ${(e as Error)?.message ?? String(e)}`);
    }
    if (r === null || r === undefined) return { usd: 0, known: false, note: "cost unknown: the cost estimator has no figure for this call" };
    if (typeof r === "number") r = { usd: r, known: true };
    if (!r.known) return r;
    const usd = money(r.usd, "the cost estimator's result");
    return { usd: usd ?? 0, known: true };
  }

  amount(): number | null {
    if (this._amount === UNSET) {
      let best: number | null = null;
      const sources = this.src.amount;
      for (let i = 0; i < sources.length; i++) {
        const v = read(this.args, sources[i]);
        if (v === undefined || v === null) continue;
        const n = money(v, sources[i])!;
        if (best === null || n > best) best = n;
      }
      this._amount = best;
    }
    return this._amount;
  }
}

function defaultEstimate(call: ToolCall): CostFact {
  const c = estimateCallCost(call.tool, call.arguments);
  return { usd: c.estimated_cost_usd, known: c.known, ...(c.note ? { note: c.note } : {}) };
}

/** A money fact: a finite number >= 0 (or a decimal string of one); undefined when absent. */
function money(v: unknown, what: string | ResolvedSource): number | undefined {
  if (typeof v === "number" && v >= 0 && v !== Infinity) return v; // the common case, without a call
  if (v === undefined || v === null) return undefined;
  try {
    return statedAmount(v, typeof what === "string" ? what : `argument \`${what.text}\``);
  } catch (e) {
    throw new FactError((e as Error).message);
  }
}
