import { LRUCache } from "lru-cache";
import { compilePolicy, type CompiledPolicy, parsePolicy, type Policy, type ValidationError } from "@/lib/policy";
import { policyHash, withoutBom } from "./identity";

export type Compiled = { ok: true; hash: string; policy: Policy; compiled: CompiledPolicy } | { ok: false; hash: string; errors: ValidationError[] };

export interface CompiledDraftCache {
  /** Parses and compiles `text` once per hash; later calls with the same bytes are a lookup (`cached`). */
  get(text: string): Compiled & { cached: boolean };
  readonly size: number;
}

/**
 * Drafts compiled by their hash (SHA-256 of the bytes): the studio validates a draft, then
 * simulates the same draft against hundreds of calls, so parsing a 1,000-rule policy (~150 ms)
 * happens once per edit, not once per call. Bounded by entries and by the texts' total size;
 * invalid drafts are cached too (their errors), so a broken draft is not re-parsed per request.
 */
export function createCompiledDraftCache(opts: { max?: number; maxChars?: number } = {}): CompiledDraftCache {
  const cache = new LRUCache<string, Compiled & { chars: number }>({
    max: opts.max ?? 64,
    maxSize: opts.maxChars ?? 32_000_000,
    sizeCalculation: (v) => Math.max(1, v.chars),
  });
  return {
    get(text) {
      const hash = policyHash(text);
      const hit = cache.get(hash);
      if (hit) return { ...hit, cached: true };
      const parsed = parsePolicy(withoutBom(text));
      const entry: Compiled & { chars: number } = parsed.ok
        ? { ok: true, hash, policy: parsed.policy, compiled: compilePolicy(parsed.policy, { version: `draft:${hash.slice(0, 12)}` }), chars: text.length }
        : { ok: false, hash, errors: parsed.errors, chars: text.length };
      cache.set(hash, entry);
      return { ...entry, cached: false };
    },
    get size() {
      return cache.size;
    },
  };
}
