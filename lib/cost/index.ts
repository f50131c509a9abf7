export { defaultCatalog, indexCatalog, normalizeAction, PROVIDERS, type Catalog, type CatalogIndex, type CatalogItem, type Provider } from "./catalog";
export { estimateCost, roundUsd, CostInputError, type CostEstimate, type EstimateInput } from "./estimate";
export { estimateCallCost, isPricedCall, statedAmount, type CallCost, type CallCostOptions } from "./call-cost";
