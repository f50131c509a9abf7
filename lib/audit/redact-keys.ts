/**
 * Which keys are sensitive: the matcher behind AUDIT_REDACT_KEYS (pure, no imports, safe in env.ts).
 *
 * A key is split into words at every character that is not a letter or digit (snake_case,
 * kebab-case, dots, spaces) and at camelCase humps (`accessToken` → access|token,
 * `HTTPAuthHeader` → http|auth|header), lower-cased and joined. A pattern is normalized the same
 * way (`api_key`, `apiKey` and `API-KEY` are one pattern) and must occur in the joined key:
 *
 *   `auth`       on word boundaries at both ends: auth, x-auth-token, basicAuth; not author, oauth, authority
 *   `*token`     may start inside a word, must end on a boundary: access_token, csrftoken; not tokens_used, tokenizer
 *   `access_key*` must start on a boundary, may end inside a word: aws_access_key_id, accesskeyid
 *   `*secret*`   anywhere: client_secret, secretAccessKey, mysecretvalue
 *   `!token_type` an exception: a key it matches is never redacted by key (value patterns still apply)
 *
 * AUDIT_REDACT_KEYS is a comma-separated list of such entries. It replaces the default list,
 * unless it starts with `+`, which adds its entries to the default list.
 *
 * Changed semantics (the previous list matched every entry anywhere in the key): a plain entry
 * now matches whole words, so `auth` no longer redacts `author`; write `*x*` for "anywhere".
 */

/**
 * The default list. `*…*` only for long names no ordinary key contains; short or ambiguous names
 * on word boundaries. `max_tokens`, `tokens_used` and other LLM usage counters are not secrets:
 * `*token` ends on a word boundary, so the plural never matches, and the exceptions name the
 * singular counters.
 */
export const DEFAULT_REDACT_KEYS = [
  "*password*", "*passwd*", "*passphrase*", "pwd", "pass",
  "*secret*", "*credential*", "*private_key*", "*authorization*", "*cookie*",
  "*token", "api_key*", "access_key*", "ssh_key*", "signing_key", "encryption_key",
  "auth", "bearer*", "*session_id", "*sessid", "session_key",
  "!token_type", "!token_count", "!token_usage", "!token_limit", "!token_url", "!token_endpoint",
].join(",");

export const MAX_KEY_PATTERNS = 200;
const MAX_PATTERN_CHARS = 64;
/** Keys longer than this are judged without the cache (they are rare, and would fill it). */
const CACHEABLE_KEY_CHARS = 128;
const CACHE_LIMIT = 10_000;

export interface KeyPattern {
  /** Normalized: lower-case letters and digits only. */
  text: string;
  /** `*` before: the match may start inside a word. */
  midStart: boolean;
  /** `*` after: the match may end inside a word. */
  midEnd: boolean;
  /** `!`: an exception. */
  exclude: boolean;
  /** The entry as written (for messages). */
  source: string;
}

export interface KeyRules {
  include: readonly KeyPattern[];
  exclude: readonly KeyPattern[];
  /** Verdicts of keys seen before (keys repeat across records: path, content, url…). */
  cache: Map<string, boolean>;
}

/** Splits a key into lower-case words (see the module comment). */
export function keyWords(key: string): string[] {
  const out: string[] = [];
  for (const chunk of key.split(/[^A-Za-z0-9]+/)) {
    if (!chunk) continue;
    // Humps: lower/digit → Upper, and the last capital of an acronym before a lower-case letter.
    for (const w of chunk.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z])([A-Z][a-z])/g, "$1 $2").split(" ")) {
      if (w) out.push(w.toLowerCase());
    }
  }
  return out;
}

export class KeyPatternError extends Error {}

function parseEntry(raw: string): KeyPattern {
  const source = raw.trim();
  let s = source;
  const exclude = s.startsWith("!");
  if (exclude) s = s.slice(1);
  const midStart = s.startsWith("*");
  if (midStart) s = s.slice(1);
  const midEnd = s.endsWith("*");
  if (midEnd) s = s.slice(0, -1);
  if (s.length > MAX_PATTERN_CHARS) throw new KeyPatternError(`"${source}" is longer than ${MAX_PATTERN_CHARS} characters`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.\- ]*$/.test(s)) {
    throw new KeyPatternError(`"${source}" is not a key pattern: expected a name of letters, digits, _ - . (like api_key), optionally with * at either end and ! in front`);
  }
  return { text: keyWords(s).join(""), midStart, midEnd, exclude, source };
}

/**
 * Parses AUDIT_REDACT_KEYS. Throws KeyPatternError naming the bad entry. The previous syntax (a
 * comma list of names) still parses; see the module comment for what changed.
 */
export function parseRedactKeys(spec: string = DEFAULT_REDACT_KEYS): KeyRules {
  let text = spec.trim();
  const extend = text.startsWith("+");
  if (extend) text = `${DEFAULT_REDACT_KEYS},${text.slice(1)}`;
  const entries = text.split(",").map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) throw new KeyPatternError("the list is empty: name at least one key pattern (or leave the variable unset for the default list)");
  if (entries.length > MAX_KEY_PATTERNS) throw new KeyPatternError(`${entries.length} entries: at most ${MAX_KEY_PATTERNS}`);
  const parsed = entries.map(parseEntry);
  const include = parsed.filter((p) => !p.exclude);
  if (include.length === 0) throw new KeyPatternError("only exceptions (!…) given: name at least one key pattern to redact");
  return { include, exclude: parsed.filter((p) => p.exclude), cache: new Map() };
}

function occurs(p: KeyPattern, joined: string, bounds: Set<number>): boolean {
  for (let at = joined.indexOf(p.text); at !== -1; at = joined.indexOf(p.text, at + 1)) {
    if ((p.midStart || bounds.has(at)) && (p.midEnd || bounds.has(at + p.text.length))) return true;
  }
  return false;
}

function judge(key: string, rules: KeyRules): boolean {
  const words = keyWords(key);
  if (words.length === 0) return false;
  const joined = words.join("");
  const bounds = new Set<number>([0]);
  let n = 0;
  for (const w of words) bounds.add((n += w.length));
  if (!rules.include.some((p) => occurs(p, joined, bounds))) return false;
  return !rules.exclude.some((p) => occurs(p, joined, bounds));
}

/** True when values under `key` are redacted. */
export function isSensitiveKey(key: string, rules: KeyRules): boolean {
  if (key.length > CACHEABLE_KEY_CHARS) return judge(key, rules);
  let v = rules.cache.get(key);
  if (v === undefined) {
    v = judge(key, rules);
    if (rules.cache.size >= CACHE_LIMIT) rules.cache.clear();
    rules.cache.set(key, v);
  }
  return v;
}
