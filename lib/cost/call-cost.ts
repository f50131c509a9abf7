import { type CatalogIndex, defaultCatalog } from "./catalog";
import { type CostEstimate, estimateCost, roundUsd } from "./estimate";

export interface CallCost {
  estimated_cost_usd: number;
  /** argument: the call stated its cost; catalog: priced from the catalog; none: nothing to price. */
  source: "argument" | "catalog" | "none";
  matched: boolean;
  estimate?: CostEstimate;
  /** Why an argument was not used, when one was given but unusable. */
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

/**
 * Estimated USD of one tool call, for budgets and the policy's `estimated_cost_usd` fact:
 * a usable `estimated_cost_usd` argument wins; else `cloud.ops`-style `provider` + `action`
 * (+ `resource`, `units`, size) priced from the catalog; else 0 with matched false.
 */
export function estimateCallCost(tool: string, args: Record<string, unknown> | undefined, opts: CallCostOptions = {}): CallCost {
  const a = args ?? {};
  if ((opts.freeTools ?? DEFAULT_FREE_TOOLS).includes(tool)) return { estimated_cost_usd: 0, source: "none", matched: false };

  let note: string | undefined;
  const stated = a.estimated_cost_usd;
  if (stated !== undefined) {
    if (typeof stated === "number" && Number.isFinite(stated) && stated >= 0) {
      return { estimated_cost_usd: roundUsd(stated), source: "argument", matched: true };
    }
    // A negative or non-numeric figure would refund budget or dodge a cost rule: price the call instead.
    note = `estimated_cost_usd argument ignored: expected a number >= 0, got ${JSON.stringify(stated)}`;
  }

  const provider = str(a.provider);
  const action = str(a.action);
  if (provider && action) {
    const unitArg = UNIT_ARGS.map((k) => a[k]).find((v) => v !== undefined);
    // Numeric strings count: "1000" must not be priced as one unit.
    const n = typeof unitArg === "string" && unitArg.trim() !== "" ? Number(unitArg) : unitArg;
    const units = typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : undefined;
    if (unitArg !== undefined && units === undefined) note = `units argument ignored: expected a number >= 0, got ${JSON.stringify(unitArg)}`;
    const variant = VARIANT_ARGS.map((k) => str(a[k])).find(Boolean);
    const estimate = estimateCost({ provider, action, resource: str(a.resource), units, variant }, opts.catalog ?? defaultCatalog);
    if (estimate.matched) return { estimated_cost_usd: estimate.estimated_cost_usd, source: "catalog", matched: true, estimate, ...(note ? { note } : {}) };
    return { estimated_cost_usd: 0, source: "none", matched: false, estimate, ...(note ? { note } : {}) };
  }
  return { estimated_cost_usd: 0, source: "none", matched: false, ...(note ? { note } : {}) };
}
