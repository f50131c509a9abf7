import { type CatalogIndex, defaultCatalog } from "./catalog";
import { type CostEstimate, CostInputError, estimateCost, roundUsd } from "./estimate";

/**
 * The cost of one tool call, for budgets and the policy's `estimated_cost_usd` fact.
 *
 * - A call is **priced** when it is a cloud operation: its tool matches `cloud.*` (other than the
 *   free estimator `cloud.estimate`), or its arguments carry both `provider` and `action`.
 * - A priced call costs its catalog price (`provider` + `action`, `units`/`count`/`quantity`,
 *   size); a caller-stated `estimated_cost_usd` can only raise that figure, never lower it.
 * - A priced call the catalog cannot price (an unknown action, or no provider/action at all) has
 *   an **unknown** cost: `known` is false. Cost rules count it as over their threshold and budgets
 *   refuse it, unless the policy's `unknown_cost` setting says otherwise.
 * - A call that is not priced (`fs.*`, `net.http`, `probe.*`…) costs 0, or what it states; it is
 *   never unknown.
 * - A stated cost that is negative, not finite or not a number is invalid input: CostInputError.
 */
export interface CallCost {
  /** USD: the catalog price raised to the stated cost; 0 when the cost is unknown. */
  estimated_cost_usd: number;
  /** False for a priced call the catalog cannot price. */
  known: boolean;
  /** A cloud operation (see above). */
  priced: boolean;
  /** argument: the stated cost decided; catalog: the catalog price; none: not priced, nothing stated; unknown. */
  source: "argument" | "catalog" | "none" | "unknown";
  matched: boolean;
  estimate?: CostEstimate;
  /** Why the cost is unknown, for reasons and traces. */
  note?: string;
}

export interface CallCostOptions {
  catalog?: CatalogIndex;
  /** Tools whose own arguments look like a priced action but cost nothing to call (the estimator itself). */
  freeTools?: readonly string[];
}

const DEFAULT_FREE_TOOLS = ["cloud.estimate"];
const UNIT_ARGS = ["units", "count", "quantity"] as const;
const VARIANT_ARGS = ["instance_type", "machine_type", "vm_size", "size", "variant"] as const;

const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);

/** Is this call a cloud operation, whose cost comes from the catalog? */
export function isPricedCall(tool: string, args: Record<string, unknown> | undefined, opts: CallCostOptions = {}): boolean {
  if ((opts.freeTools ?? DEFAULT_FREE_TOOLS).includes(tool)) return false;
  if (tool.startsWith("cloud.")) return true;
  return args !== undefined && str(args.provider) !== undefined && str(args.action) !== undefined;
}

/**
 * A money amount a caller states: a finite number >= 0, or a decimal string of one ("12.5": an
 * upstream API would coerce it too). undefined when absent; CostInputError when unusable.
 */
export function statedAmount(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  let n: number | null = null;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^\s*-?\d+(?:\.\d+)?\s*$/.test(value)) n = Number(value);
  if (n === null) throw new CostInputError(`${what} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(n)) throw new CostInputError(`${what} must be a finite number, got ${describe(value)}`);
  if (n < 0) throw new CostInputError(`${what} must not be negative, got ${describe(value)}: a negative amount would refund a budget or slip under a cost rule`);
  return n;
}

function describe(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : `${v} (not finite; JSON numbers past ±1.8e308 read as infinite)`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return "null";
  return Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : typeof v;
}

export function estimateCallCost(tool: string, args: Record<string, unknown> | undefined, opts: CallCostOptions = {}): CallCost {
  const a = args ?? {};
  const stated = statedAmount(a.estimated_cost_usd, "`estimated_cost_usd`");
  const statedCost = stated === undefined ? undefined : roundUsd(stated);
  if (!isPricedCall(tool, a, opts)) {
    return statedCost === undefined
      ? { estimated_cost_usd: 0, known: true, priced: false, source: "none", matched: false }
      : { estimated_cost_usd: statedCost, known: true, priced: false, source: "argument", matched: true };
  }

  const provider = str(a.provider);
  const action = str(a.action);
  if (!provider || !action) {
    return unknown(`${tool} is a cloud operation but names no ${!provider && !action ? "provider and action" : !provider ? "provider" : "action"} to price`);
  }
  const unitArg = UNIT_ARGS.map((k) => a[k]).find((v) => v !== undefined && v !== null);
  // Numeric strings count: "1000" must not be priced as one unit. Unusable units are invalid input,
  // never a silent "one unit".
  const units = unitArg === undefined ? undefined : statedAmount(unitArg, `${UNIT_ARGS.find((k) => a[k] === unitArg)}`);
  const variant = VARIANT_ARGS.map((k) => str(a[k])).find(Boolean);
  const estimate = estimateCost({ provider, action, resource: str(a.resource), units, variant }, opts.catalog ?? defaultCatalog);
  if (!estimate.matched) return { ...unknown(estimate.price_source.replace(/^catalog [^:]+: /, "the catalog has ")), estimate };
  if (statedCost !== undefined && statedCost > estimate.estimated_cost_usd) {
    return { estimated_cost_usd: statedCost, known: true, priced: true, source: "argument", matched: true, estimate };
  }
  return { estimated_cost_usd: estimate.estimated_cost_usd, known: true, priced: true, source: "catalog", matched: true, estimate };
}

function unknown(note: string): CallCost {
  return { estimated_cost_usd: 0, known: false, priced: true, source: "unknown", matched: false, note: `cost unknown: ${note}` };
}
