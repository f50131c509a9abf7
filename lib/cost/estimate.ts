import { type CatalogIndex, type CatalogItem, defaultCatalog } from "./catalog";

export interface EstimateInput {
  provider: string;
  action: string;
  /** How many of the item's unit (instances, GB, requests); default 1. */
  units?: number;
  /** Size within the item (instance type, machine type, VM size). */
  variant?: string;
  /** Service name, when the action omits it (`{resource: "ec2", action: "run_instances"}`). */
  resource?: string;
}

export interface CostEstimate {
  estimated_cost_usd: number;
  currency: "USD";
  unit_price_usd: number;
  units: number;
  unit: string | null;
  provider: string;
  action: string;
  variant: string | null;
  /** Where the price came from, for people reading an answer or an audit record. */
  price_source: string;
  matched: boolean;
}

export class CostInputError extends Error {}

/** Money is kept to micro-dollars: quotas meter it as integers of 1e-6 USD. */
export const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

function lookup(catalog: CatalogIndex, input: EstimateInput): { item: CatalogItem; action: string } | undefined {
  const candidates = [input.action];
  if (input.resource && !input.action.toLowerCase().startsWith(`${input.resource.toLowerCase()}.`)) {
    candidates.unshift(`${input.resource}.${input.action}`);
  }
  for (const action of candidates) {
    const item = catalog.find(input.provider, action);
    if (item) return { item, action: item.action };
  }
  return undefined;
}

/** Estimated USD of `units` of a catalog action. Unknown actions are not errors: matched is false and the cost 0. */
export function estimateCost(input: EstimateInput, catalog: CatalogIndex = defaultCatalog): CostEstimate {
  const units = input.units ?? 1;
  if (typeof units !== "number" || !Number.isFinite(units) || units < 0) {
    throw new CostInputError(`units must be a finite number >= 0 (got ${JSON.stringify(input.units)})`);
  }
  const version = catalog.catalog.version;
  const hit = lookup(catalog, input);
  if (!hit) {
    return {
      estimated_cost_usd: 0,
      currency: "USD",
      unit_price_usd: 0,
      units,
      unit: null,
      provider: input.provider,
      action: input.action,
      variant: input.variant ?? null,
      price_source: `catalog ${version}: no entry for ${input.provider} ${input.resource ? `${input.resource}.` : ""}${input.action}`,
      matched: false,
    };
  }
  const { item } = hit;
  const variant = input.variant ?? item.default_variant ?? null;
  const variantPrice = variant !== null ? item.variants?.[variant] : undefined;
  const unitPrice = variantPrice ?? item.unit_price_usd;
  const priced = variantPrice !== undefined ? ` ${variant}` : variant !== null ? ` (size ${variant} not listed: base price)` : "";
  return {
    estimated_cost_usd: roundUsd(unitPrice * units),
    currency: "USD",
    unit_price_usd: unitPrice,
    units,
    unit: item.unit,
    provider: item.provider,
    action: hit.action,
    variant,
    price_source: `catalog ${version}: ${item.provider} ${item.action}${priced} per ${item.unit}`,
    matched: true,
  };
}
