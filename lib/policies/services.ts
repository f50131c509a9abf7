import { type CompiledDraftCache, createCompiledDraftCache } from "./compiled-cache";

// The process's one cache of compiled drafts, shared by validate, simulate and batch simulate (a
// validation warms the simulation of the same bytes). Created on first use, like the active
// policy's cache in active.ts; the composition root is where it belongs once there is one.
let drafts: CompiledDraftCache | undefined;

export function compiledDrafts(): CompiledDraftCache {
  return (drafts ??= createCompiledDraftCache());
}
