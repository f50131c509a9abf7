import { createHash } from "node:crypto";

/**
 * Rollout rules (pure): which version each tenant runs, from its pin and the recent rollouts
 * (all, canary by hash bucket, explicit lists). lib/db reads the rows; these functions decide.
 */

export type RolloutStrategy = "all" | "canary_percent" | "explicit";

/** The part of a rollout that decides which tenants it covers. */
export interface RolloutCoverage {
  id: number;
  versionId: number;
  strategy: string;
  canaryPercent: number | null;
  tenants: string[];
}

/**
 * Canary membership: the first 4 bytes of sha256(tenant + ":" + rollout id), as a big-endian
 * uint32, mod 100, below the percent. Deterministic per rollout, independent across rollouts.
 */
export function canaryBucket(tenantId: string, rolloutId: number): number {
  return createHash("sha256").update(`${tenantId}:${rolloutId}`).digest().readUInt32BE(0) % 100;
}

export function inCanary(tenantId: string, rolloutId: number, percent: number): boolean {
  return canaryBucket(tenantId, rolloutId) < percent;
}

/** Whether a rollout covers a tenant: `all` always, `explicit` when listed, a canary by bucket. */
export function rolloutCovers(r: RolloutCoverage, tenantId: string): boolean {
  if (r.strategy === "all") return true;
  if (r.strategy === "explicit") return r.tenants.includes(tenantId);
  if (r.strategy === "canary_percent") return inCanary(tenantId, r.id, r.canaryPercent ?? 0);
  return false;
}

/** What decides every tenant's version: the pins, the newest `all` rollout and every rollout after it. */
export interface RolloutState {
  pins: Map<string, number>;
  /** Newest first; ends with the newest `all` rollout (when there is one). */
  recent: RolloutCoverage[];
}

/**
 * The version a tenant runs (pure, over a RolloutState): its pin, else the newest rollout that
 * covers it. The newest `all` rollout covers everyone, so older rollouts never matter.
 */
export function resolveVersionId(state: RolloutState, tenantId: string): number | null {
  const pinned = state.pins.get(tenantId);
  if (pinned !== undefined) return pinned;
  for (const r of state.recent) if (rolloutCovers(r, tenantId)) return r.versionId;
  return null;
}
