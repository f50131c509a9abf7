/**
 * `KvStore.meter`: an atomic multi-key check-and-apply for rate limits, quotas and budgets.
 * Every check runs before any write, and nothing is written unless all checks pass, so two
 * callers can never both take the last unit of a limit. Redis runs it as one Lua script;
 * the in-process store runs it synchronously (no await inside), which is atomic in one process.
 */

/** Integer counter: `current + amount` must stay `<= limit` (when given). */
export interface MeterAdd {
  type: "add";
  key: string;
  /** Integer (callers scale money to micro-units): Redis and JS must agree exactly. */
  amount: number;
  limit?: number;
  /** Expiry set when the counter is created (windows end by expiring). */
  ttlMs: number;
  /** Starting value when the key is absent, e.g. usage restored from Postgres after a Redis loss. */
  init?: number;
}

/** Lease in a set of leases (a sorted set scored by expiry): at most `limit` live leases. */
export interface MeterLease {
  type: "lease";
  key: string;
  member: string;
  limit?: number;
  ttlMs: number;
  /** Clock of the caller in ms: leases with expiry <= now are dropped first. */
  now: number;
}

export interface MeterUnlease {
  type: "unlease";
  key: string;
  member: string;
}

export type MeterOp = MeterAdd | MeterLease | MeterUnlease;

export type MeterResult =
  /** Per op: the counter after adding, or the number of live leases after the op. */
  | { ok: true; values: number[] }
  /** Nothing was written. `index` is the first op whose check failed; `current` its value before. */
  | { ok: false; index: number; current: number; earliestExpiry?: number };

export function assertMeterOps(ops: readonly MeterOp[]) {
  for (const op of ops) {
    if (op.type === "add" && !(Number.isSafeInteger(op.amount) && (op.init === undefined || Number.isSafeInteger(op.init)))) {
      throw new Error(`meter: ${op.key}: amounts must be safe integers (got ${op.amount})`);
    }
    if (op.type !== "unlease" && !(Number.isSafeInteger(op.ttlMs) && op.ttlMs > 0)) {
      throw new Error(`meter: ${op.key}: ttlMs must be a positive integer (got ${op.ttlMs})`);
    }
  }
}

/** The in-process store's view of its data, for `meterSync`. */
export interface MeterMemory {
  getNumber(key: string): number | undefined;
  /** Keeps an existing expiry; otherwise (new key, or one without expiry) sets `ttlMs`, as the script does. */
  setNumber(key: string, value: number, ttlMs: number): void;
  zset(key: string, create: boolean): Map<string, number> | undefined;
  dropZset(key: string): void;
}

/** Synchronous implementation with the exact semantics of METER_LUA. */
export function meterSync(ops: readonly MeterOp[], mem: MeterMemory): MeterResult {
  assertMeterOps(ops);
  const before: number[] = [];
  for (const [i, op] of ops.entries()) {
    if (op.type === "add") {
      const cur = mem.getNumber(op.key) ?? op.init ?? 0;
      if (op.limit !== undefined && cur + op.amount > op.limit) return { ok: false, index: i, current: cur };
      before.push(cur);
    } else if (op.type === "lease") {
      const z = mem.zset(op.key, false);
      if (z) for (const [m, exp] of z) if (exp <= op.now) z.delete(m);
      const n = z?.size ?? 0;
      if (op.limit !== undefined && !z?.has(op.member) && n + 1 > op.limit) {
        return { ok: false, index: i, current: n, earliestExpiry: z && n ? Math.min(...z.values()) : undefined };
      }
      before.push(n);
    } else {
      before.push(0);
    }
  }
  const values: number[] = [];
  for (const [i, op] of ops.entries()) {
    if (op.type === "add") {
      const next = before[i] + op.amount;
      mem.setNumber(op.key, next, op.ttlMs);
      values.push(next);
    } else if (op.type === "lease") {
      const z = mem.zset(op.key, true)!;
      z.set(op.member, op.now + op.ttlMs);
      values.push(z.size);
    } else {
      const z = mem.zset(op.key, false);
      z?.delete(op.member);
      if (z && z.size === 0) mem.dropZset(op.key);
      values.push(z?.size ?? 0);
    }
  }
  return { ok: true, values };
}

/**
 * KEYS: one per op. ARGV: five per op: type, amount|member, limit ('' = none), ttlMs, init|now.
 * Values are read and written with SET (not INCRBY) so that the check and the write use the same
 * number; %.0f keeps integers up to 2^53 exact where Lua's tostring would switch to exponent form.
 * Returns {1, v1, v2, ...} or {0, index, current, earliestExpiry}.
 */
export const METER_LUA = `
local n = #KEYS
local before = {}
for i = 1, n do
  local b = (i - 1) * 5
  local t, a, lim, ttl, x = ARGV[b+1], ARGV[b+2], ARGV[b+3], ARGV[b+4], ARGV[b+5]
  if t == 'add' then
    local cur = tonumber(redis.call('GET', KEYS[i]) or '')
    if cur == nil then cur = tonumber(x) or 0 end
    if lim ~= '' and cur + tonumber(a) > tonumber(lim) then return {0, i - 1, string.format('%.0f', cur), ''} end
    before[i] = cur
  elseif t == 'lease' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', x)
    local count = redis.call('ZCARD', KEYS[i])
    if lim ~= '' and not redis.call('ZSCORE', KEYS[i], a) and count + 1 > tonumber(lim) then
      local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
      return {0, i - 1, count, first[2] or ''}
    end
    before[i] = count
  else
    before[i] = 0
  end
end
local out = {1}
for i = 1, n do
  local b = (i - 1) * 5
  local t, a, ttl, x = ARGV[b+1], ARGV[b+2], ARGV[b+4], ARGV[b+5]
  if t == 'add' then
    local nextv = string.format('%.0f', before[i] + tonumber(a))
    if redis.call('PTTL', KEYS[i]) > 0 then
      redis.call('SET', KEYS[i], nextv, 'KEEPTTL')
    else
      redis.call('SET', KEYS[i], nextv, 'PX', ttl)
    end
    out[i + 1] = nextv
  elseif t == 'lease' then
    redis.call('ZADD', KEYS[i], tonumber(x) + tonumber(ttl), a)
    redis.call('PEXPIRE', KEYS[i], ttl)
    out[i + 1] = redis.call('ZCARD', KEYS[i])
  else
    redis.call('ZREM', KEYS[i], a)
    out[i + 1] = redis.call('ZCARD', KEYS[i])
  end
end
return out`;

/** Flattens ops to the script's KEYS and ARGV. */
export function meterArgs(ops: readonly MeterOp[]): { keys: string[]; argv: string[] } {
  assertMeterOps(ops);
  const keys: string[] = [];
  const argv: string[] = [];
  for (const op of ops) {
    keys.push(op.key);
    if (op.type === "add") argv.push("add", String(op.amount), op.limit === undefined ? "" : String(op.limit), String(op.ttlMs), op.init === undefined ? "" : String(op.init));
    else if (op.type === "lease") argv.push("lease", op.member, op.limit === undefined ? "" : String(op.limit), String(op.ttlMs), String(op.now));
    else argv.push("unlease", op.member, "", "0", "0");
  }
  return { keys, argv };
}

/** Parses the script's reply (strings for counters, integers for counts). */
export function parseMeterReply(reply: unknown): MeterResult {
  const r = reply as (string | number)[];
  if (Number(r[0]) === 1) return { ok: true, values: r.slice(1).map(Number) };
  const earliest = r[3] === "" || r[3] === undefined ? undefined : Number(r[3]);
  return { ok: false, index: Number(r[1]), current: Number(r[2]), earliestExpiry: earliest };
}
