import type { Window } from "./windows";

/** "*" is the whole tenant; per-tool counters exist only for tools with their own limits. */
export type Scope = "*" | string;

/**
 * Redis keys. `{tenant}` is a hash tag: one call's keys share a cluster slot, which the atomic
 * multi-key script needs. Tool names are URI-encoded so no name can forge another key.
 */
const base = (tenant: string, scope: Scope) => `canopy:q:{${tenant}}:${scope === "*" ? "*" : encodeURIComponent(scope)}`;

export const quotaKeys = {
  requests: (tenant: string, scope: Scope, w: Window) => `${base(tenant, scope)}:req:${w.kind}:${w.id}`,
  /** Spend in micro-USD (integers: exact in Lua and JS). */
  spend: (tenant: string, scope: Scope, w: Window) => `${base(tenant, scope)}:usd:${w.kind}:${w.id}`,
  leases: (tenant: string, scope: Scope) => `${base(tenant, scope)}:leases`,
};

export const toMicros = (usd: number) => Math.round(usd * 1e6);
export const fromMicros = (micros: number) => micros / 1e6;
