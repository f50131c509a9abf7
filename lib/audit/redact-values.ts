import { RE2JS } from "re2js";

/**
 * Secrets found by their shape inside string values, whatever key they sit under (pure: no I/O).
 *
 * Every regular expression here runs on re2js, a linear-time engine, so scanning stays linear in
 * the string's length however long it is or however the patterns are written; nothing is
 * truncated. Most patterns start with a literal (`eyJ`, `AKIA`, `xox`…) that is looked for first
 * with `String.prototype.includes`, so an ordinary string costs a few native substring searches.
 * `key=value` assignments are found by a hand-written single pass (no regex): a separator, a
 * sensitive key before it (the AUDIT_REDACT_KEYS matcher), the value after it.
 */

export interface ValuePattern {
  /** Shown in the marker: `[redacted:<kind>:<hmac>]`. */
  kind: string;
  re: RE2JS;
  /** The part of the match that is the secret: a group number or name (0: the whole match). */
  group: number | string;
  /** The regex can only match when the string contains one of these (checked natively first). */
  triggers?: readonly string[];
}

/** A secret's place in a string, [start, end) in UTF-16 code units. */
export interface Span {
  start: number;
  end: number;
  kind: string;
}

const re = (src: string) => RE2JS.compile(src);

function decodesToCredentials(b64: string): boolean {
  const text = Buffer.from(b64, "base64").toString("utf8");
  // user:password, printable, and not base64 of ordinary prose ("Basic authentication").
  return /^[^\s:]{0,256}:[^\r\n]*$/.test(text) && !/[\uFFFD\u0000-\u001f]/.test(text);
}

/** The shapes always looked for. Kinds are stable: markers and tests name them. */
export const BUILTIN_VALUE_PATTERNS: readonly ValuePattern[] = [
  {
    // A PEM private key, whole; a block cut off before its END line is redacted to its end too.
    kind: "private_key",
    re: re("-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:(?s:.*?)-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\\s:,.-]*)"),
    group: 0,
    triggers: ["PRIVATE KEY"],
  },
  {
    // scheme://user:password@host: only the password goes (user and host stay readable).
    kind: "url_password",
    re: re("[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\\s/?#@:]*:([^\\s/?#]+)@"),
    group: 1,
    triggers: ["://"],
  },
  {
    // Three base64url segments, the header JSON starting with `{"` (eyJ); the signature may be empty (alg none).
    kind: "jwt",
    re: re("\\beyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*"),
    group: 0,
    triggers: ["eyJ"],
  },
  {
    // Long-term (AKIA) and temporary (ASIA) access key ids.
    kind: "aws_access_key_id",
    re: re("\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b"),
    group: 0,
    triggers: ["AKIA", "ASIA"],
  },
  {
    kind: "slack_token",
    re: re("\\b(?:xox[abprs]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,})"),
    group: 0,
    triggers: ["xox", "xapp-"],
  },
  {
    // An incoming-webhook URL is itself the credential: the path after the host goes.
    kind: "slack_webhook",
    re: re("https://hooks\\.slack\\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]+)"),
    group: 1,
    triggers: ["hooks.slack.com"],
  },
  {
    kind: "github_token",
    re: re("\\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})"),
    group: 0,
    triggers: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
  },
  {
    kind: "stripe_key",
    re: re("\\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    group: 0,
    triggers: ["_live_", "_test_"],
  },
  {
    kind: "google_api_key",
    re: re("\\bAIza[0-9A-Za-z_-]{35}"),
    group: 0,
    triggers: ["AIza"],
  },
];

export const MAX_CUSTOM_PATTERNS = 32;
export const MAX_CUSTOM_PATTERN_CHARS = 512;

export class ValuePatternError extends Error {}

/**
 * Parses AUDIT_REDACT_VALUE_PATTERNS: a JSON array whose items are a regex string (kind
 * `custom`) or `{"kind": "<name>", "pattern": "<regex>"}`. RE2 syntax (no lookaround, no
 * backreferences); a named group `(?P<secret>…)` limits the redaction to that part of the match.
 * At most 32 patterns of at most 512 characters; a pattern that matches the empty string is refused.
 */
export function parseValuePatterns(spec: string | undefined): ValuePattern[] {
  if (spec === undefined || spec.trim() === "") return [];
  let items: unknown;
  try {
    items = JSON.parse(spec);
  } catch {
    throw new ValuePatternError('expected a JSON array such as ["\\\\bEMP-[0-9]{6}\\\\b", {"kind":"iban","pattern":"\\\\bDE[0-9]{20}\\\\b"}]');
  }
  if (!Array.isArray(items)) throw new ValuePatternError("expected a JSON array of patterns");
  if (items.length > MAX_CUSTOM_PATTERNS) throw new ValuePatternError(`${items.length} patterns: at most ${MAX_CUSTOM_PATTERNS}`);
  return items.map((item, i) => {
    const o = typeof item === "string" ? { kind: "custom", pattern: item } : (item as { kind?: unknown; pattern?: unknown } | null);
    const where = `pattern [${i}]`;
    if (!o || typeof o !== "object" || typeof o.pattern !== "string") throw new ValuePatternError(`${where}: expected a regex string or {"kind","pattern"}`);
    const kind = o.kind ?? "custom";
    if (typeof kind !== "string" || !/^[a-z][a-z0-9_]{0,31}$/.test(kind)) throw new ValuePatternError(`${where}: kind must be a lowercase name such as employee_id`);
    if (o.pattern.length === 0 || o.pattern.length > MAX_CUSTOM_PATTERN_CHARS) throw new ValuePatternError(`${where}: expected 1 to ${MAX_CUSTOM_PATTERN_CHARS} characters`);
    let compiled: RE2JS;
    try {
      compiled = RE2JS.compile(o.pattern);
    } catch (err) {
      throw new ValuePatternError(`${where} (${kind}): ${(err as Error).message} (RE2 syntax: no lookaround or backreferences)`);
    }
    if (compiled.test("")) throw new ValuePatternError(`${where} (${kind}): matches the empty string, so it would redact nothing useful`);
    return { kind, re: compiled, group: Object.hasOwn(compiled.namedGroups(), "secret") ? "secret" : 0 };
  });
}

function scanRegex(s: string, p: ValuePattern, out: Span[]) {
  if (p.triggers && !p.triggers.some((t) => s.includes(t))) return;
  // The DFA answers "anything here?" fastest; the matcher (with groups) runs only when it says yes.
  if (!p.re.test(s)) return;
  const m = p.re.matcher(s);
  while (m.find()) {
    const start = m.start(p.group);
    const end = m.end(p.group);
    if (start < 0 || end <= start) continue;
    out.push({ start, end, kind: p.kind });
  }
}

/** Not an English word ("Bearer authentication"): 8+ characters with a digit or symbol, or mixed case inside. */
function looksLikeToken(t: string): boolean {
  return t.length >= 8 && (/[0-9._~+/=-]/.test(t) || (/[a-z]/.test(t) && /.[A-Z]/.test(t)));
}

const TOKEN_CHAR = /[A-Za-z0-9_~+/=.-]/;
const WORD_CHAR = /[A-Za-z0-9_]/;
const SCHEMES: readonly { word: string; kind: string; accept: (t: string) => boolean }[] = [
  { word: "bearer", kind: "bearer", accept: looksLikeToken },
  { word: "basic", kind: "basic_auth", accept: (t) => /^[A-Za-z0-9+/]{4,}={0,2}$/.test(t) && decodesToCredentials(t) },
];

/**
 * `Bearer <token>` and `Basic <base64 user:password>` (any case) anywhere in text. A native
 * search for the scheme word, then a scan of the word after it: linear, and cheap even for text
 * made of nothing but "bearer bearer …" (a regex engine pays per candidate match there).
 */
export function scanSchemes(s: string, lower: string, out: Span[]) {
  for (const scheme of SCHEMES) {
    for (let at = lower.indexOf(scheme.word); at !== -1; at = lower.indexOf(scheme.word, at + scheme.word.length)) {
      if (at > 0 && WORD_CHAR.test(s[at - 1])) continue;
      let k = at + scheme.word.length;
      const ws = k;
      while (k < s.length && k - ws < 16 && (s[k] === " " || s[k] === "\t")) k++;
      if (k === ws) continue;
      const start = k;
      while (k < s.length && TOKEN_CHAR.test(s[k])) k++;
      let end = k;
      while (end > start && s[end - 1] === ".") end--; // a sentence's full stop is not part of the token
      if (end > start && scheme.accept(s.slice(start, end))) out.push({ start, end, kind: scheme.kind });
    }
  }
}

const SCHEME_HINT = /bearer|basic/i;
const KEY_CHAR = /[A-Za-z0-9_.-]/;
const VALUE_STOP = /[\s&,;"'<>(){}[\]]/;
const SCHEME_WORDS = new Set(["bearer", "basic", "token", "digest"]);
const NOT_SECRETS = new Set(["true", "false", "null", "none", "undefined", ""]);
const MAX_KEY = 64;

/**
 * `password=hunter2`, `api_key: abc`, `"token": "abc"` (JSON inside a string), `--password=x`:
 * a `=` or `:` with a sensitive key before it. One pass; after a hit the scan resumes past the
 * value, and the look-back is bounded, so the cost stays linear.
 */
export function scanAssignments(s: string, sensitive: (key: string) => boolean, out: Span[]) {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c !== 61 /* = */ && c !== 58 /* : */) continue;
    let j = i - 1;
    while (j >= 0 && i - j <= 3 && (s[j] === " " || s[j] === "\t")) j--;
    let quote = "";
    if (j >= 0 && (s[j] === '"' || s[j] === "'")) quote = s[j--];
    const keyEnd = j + 1;
    while (j >= 0 && keyEnd - j <= MAX_KEY + 1 && KEY_CHAR.test(s[j])) j--;
    const keyStart = j + 1;
    if (keyStart === keyEnd || keyEnd - keyStart > MAX_KEY) continue;
    if (quote && s[keyStart - 1] !== quote) continue;
    // scheme://user:password@host is url_password's: it keeps the user and host readable.
    if (s.startsWith("//", keyStart - 2)) continue;
    if (!sensitive(s.slice(keyStart, keyEnd))) continue;
    let k = i + 1;
    while (k < n && k - i <= 16 && (s[k] === " " || s[k] === "\t")) k++;
    let start = k;
    let end = k;
    const q = s[k];
    if (q === '"' || q === "'") {
      start = k + 1;
      end = start;
      while (end < n && s[end] !== q) end += q === '"' && s[end] === "\\" ? 2 : 1;
      end = Math.min(end, n);
    } else {
      if (q === "{" || q === "[") continue; // structured text is not parsed here
      while (end < n && !VALUE_STOP.test(s[end])) end++;
      // `Authorization: Bearer abc`: the credential is the word after the scheme.
      if (SCHEME_WORDS.has(s.slice(start, end).toLowerCase()) && end < n && (s[end] === " " || s[end] === "\t")) {
        start = end + 1;
        end = start;
        while (end < n && !VALUE_STOP.test(s[end])) end++;
      }
    }
    const value = s.slice(start, end);
    if (NOT_SECRETS.has(value.toLowerCase()) || value.startsWith("[redacted:")) continue;
    out.push({ start, end, kind: "key_value" });
    i = Math.max(i, end - 1);
  }
}

/** Every secret span in `s`: built-in and configured patterns, and sensitive assignments. */
export function findSecretSpans(s: string, patterns: readonly ValuePattern[], sensitive: (key: string) => boolean): Span[] {
  const out: Span[] = [];
  if (s.length < 3) return out;
  for (const p of patterns) scanRegex(s, p, out);
  // A literal alternation cannot backtrack: one native pass decides whether lower-casing is needed.
  if (SCHEME_HINT.test(s)) {
    let l = s.toLowerCase();
    // Offsets in `l` must be offsets in `s`: a few non-ASCII letters change length when lower-cased.
    if (l.length !== s.length) l = s.replace(/[^\u0000-\u007f]/g, "\u0000").toLowerCase();
    scanSchemes(s, l, out);
  }
  if (s.includes("=") || s.includes(":")) scanAssignments(s, sensitive, out);
  return out;
}

/** Sorts and joins overlapping or touching spans; a joined span keeps the kind of its first part. */
export function mergeSpans(spans: Span[]): Span[] {
  if (spans.length <= 1) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [{ ...spans[0] }];
  for (let i = 1; i < spans.length; i++) {
    const last = out[out.length - 1];
    const s = spans[i];
    if (s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}
