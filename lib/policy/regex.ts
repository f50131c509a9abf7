/**
 * Policy regexes (`params.<name>.pattern`, `args.<path>.regex`) and non-trivial tool globs run on
 * RE2 (re2js): matching time is linear in the input whatever the pattern, so no policy, inline or
 * active, can stall the gateway's event loop with catastrophic backtracking (`^(a+)+$`).
 *
 * The language stays JavaScript's syntax (with the `u` flag): a pattern must parse as a JS regex
 * AND compile on RE2. What only a backtracking engine can do — backreferences and lookaround —
 * is refused with a message saying what to write instead. Patterns are bounded in length.
 */
import { RE2JS } from "re2js";

/** Longest accepted pattern, in UTF-16 code units (what `.length` counts). */
export const MAX_REGEX_LENGTH = 1_000;

export interface PolicyRegex {
  readonly source: string;
  /** Unanchored search, like `RegExp.prototype.test`; linear time in `input`. */
  test(input: string): boolean;
}

const ENGINE = "policy regexes run on a linear-time engine (RE2) so that no pattern can stall the gateway";

/** Why `src` cannot be a policy regex, phrased to follow the key name; null when it can. */
export function regexProblem(src: string): string | null {
  return analyze(src).problem;
}

/** Compiles a pattern; throws (with the problem) on one that validation would refuse. */
export function compileRegex(src: string): PolicyRegex {
  const { problem, re } = analyze(src);
  if (problem !== null || !re) throw new Error(`regex ${JSON.stringify(src.length > 80 ? `${src.slice(0, 80)}…` : src)} ${problem}`);
  return { source: src, test: (input) => re.test(input) };
}

function analyze(src: string): { problem: string; re?: undefined } | { problem: null; re: RE2JS } {
  const problem = (p: string) => ({ problem: p });
  if (typeof src !== "string") return problem("must be a regular expression (a string)");
  if (src.length > MAX_REGEX_LENGTH) {
    return problem(`is ${src.length} characters long; policy regexes are limited to ${MAX_REGEX_LENGTH.toLocaleString("en-US")} characters: split the test across several conditions (e.g. under \`any:\`) or list exact values with \`in\`/\`allowlist\``);
  }
  const unsupported = findUnsupported(src);
  if (unsupported) return problem(unsupported);
  try {
    // Syntax only: V8 compiles lazily, and this RegExp never runs.
    new RegExp(src, "u");
  } catch (e) {
    return problem(`is not a valid regular expression: ${((e as Error).message ?? "").replace(/^Invalid regular expression: /, "")}`);
  }
  try {
    return { problem: null, re: compileRe2(src) };
  } catch (e) {
    const m = ((e as Error).message ?? String(e)).replace(/^error parsing regexp: /, "");
    return problem(`cannot run on the linear-time regex engine (RE2): ${m}. ${hintFor(m)}`.trim());
  }
}

function compileRe2(src: string): RE2JS {
  // translateRegExp maps the JS-only spellings RE2 lacks (`\u00e9`, `\u{1F600}`, `(?<name>…)`, `[^]`).
  // It is only ever given patterns that passed findUnsupported, so it cannot silently turn a
  // backreference such as `\k<name>` into literal text.
  return RE2JS.compile(RE2JS.translateRegExp(src));
}

/** Backreferences and lookaround, found by a scan that honours escapes and character classes. */
function findUnsupported(src: string): string | null {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      const d = src[i + 1];
      if (!inClass && d !== undefined && ((d >= "1" && d <= "9") || (d === "k" && src[i + 2] === "<"))) {
        const token = d === "k" ? src.slice(i, Math.max(i + 3, src.indexOf(">", i) + 1)) : src.slice(i, i + 2);
        return `uses a backreference (\`${token}\` at character ${i + 1}), which is not supported: ${ENGINE}. Match the repeated text explicitly, or compare whole values with \`equals\`/\`in\``;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      continue;
    }
    if (c === "(" && src[i + 1] === "?") {
      const t = src.slice(i + 2, i + 4);
      if (t[0] === "=" || t[0] === "!") {
        return `uses a lookahead (\`(?${t[0]}\` at character ${i + 1}), which is not supported: ${ENGINE}. Match the text itself instead, or express "must not match" with a \`not:\` condition block`;
      }
      if (t === "<=" || t === "<!") {
        return `uses a lookbehind (\`(?${t}\` at character ${i + 1}), which is not supported: ${ENGINE}. Match the text itself instead, or express "must not match" with a \`not:\` condition block`;
      }
    }
  }
  return null;
}

function hintFor(re2Message: string): string {
  if (/repeat count/.test(re2Message)) return "Repeat counts are limited to 1000 (nested repeats multiply): use a smaller bound or `max_length`.";
  if (/Perl syntax/.test(re2Message)) return "Atomic groups and possessive quantifiers are not supported: remove them (RE2 never backtracks, so they are not needed).";
  return "";
}
