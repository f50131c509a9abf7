import { AppError } from "@/lib/errors";

/**
 * The quota store (Redis, or the database holding quota settings) did not answer in time. The
 * caller must deny the call: nothing is ever admitted unmetered.
 */
export class QuotaUnavailableError extends AppError {
  constructor(detail: string) {
    super(503, "quota_unavailable", `quota check unavailable, call denied: ${detail}`);
    this.name = "QuotaUnavailableError";
  }
}

/** Rejects with QuotaUnavailableError when `p` does not settle within `ms` (or fails). */
export async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QuotaUnavailableError(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } catch (e) {
    if (e instanceof QuotaUnavailableError) throw e;
    throw new QuotaUnavailableError(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}
