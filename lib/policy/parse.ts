/**
 * YAML text → policy, with every problem located by line and column. Never throws: arbitrary
 * input (binary, huge, hostile aliases, wrong shapes) comes back as a list of errors.
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import { ALLOWED_KEYS, PolicySchema, type Policy } from "./schema";
import { detectFormat } from "./detect";
import type { ValidationError } from "./types";

export const MAX_POLICY_BYTES = 2 * 1024 * 1024;

export type ParseResult =
  | { ok: true; policy: Policy; errors: [] }
  | { ok: false; policy: null; errors: ValidationError[] };

type Seg = string | number;

export function parsePolicy(text: unknown): ParseResult {
  try {
    return parseUnsafe(text);
  } catch (e) {
    // Defensive: a bug in error mapping must still yield an error, not an exception.
    return fail([{ line: 1, column: 1, path: "", message: `cannot validate policy: ${(e as Error)?.message ?? String(e)}` }]);
  }
}

/** Validate an already-parsed object (JSON input); errors carry line 0 since there is no source. */
export function validatePolicyObject(value: unknown): ParseResult {
  try {
    const r = PolicySchema.safeParse(value);
    if (r.success) return { ok: true, policy: r.data, errors: [] };
    return fail(issuesToErrors(r.error.issues, value, null, null));
  } catch (e) {
    return fail([{ line: 0, column: 0, path: "", message: `cannot validate policy: ${(e as Error)?.message ?? String(e)}` }]);
  }
}

function fail(errors: ValidationError[]): ParseResult {
  return { ok: false, policy: null, errors };
}

function parseUnsafe(text: unknown): ParseResult {
  if (typeof text !== "string") return fail([{ line: 1, column: 1, path: "", message: "policy must be YAML text" }]);
  if (text.length > MAX_POLICY_BYTES)
    return fail([{ line: 1, column: 1, path: "", message: `policy is larger than ${MAX_POLICY_BYTES} bytes` }]);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const at = (offset: number) => {
    const p = lc.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => ({
        ...at(e.pos[0]),
        path: "",
        message: `YAML syntax: ${e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, "")}`,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return fail([{ line: 1, column: 1, path: "", message: `YAML: ${(e as Error).message}` }]);
  }
  if (value === null || value === undefined) return fail([{ line: 1, column: 1, path: "", message: "policy is empty" }]);
  if (typeof value !== "object" || Array.isArray(value))
    return fail([{ ...at(doc.contents?.range?.[0] ?? 0), path: "", message: "policy must be a mapping with `version` and `rules`" }]);

  const foreign = detectFormat(value);
  if (foreign !== "canonical" && foreign !== "unknown")
    return fail([
      {
        line: 1,
        column: 1,
        path: "",
        message: `this looks like a ${FORMAT_LABELS[foreign]} policy; convert it with \`canopy policy migrate FILE\``,
      },
    ]);

  const r = PolicySchema.safeParse(value);
  if (r.success) return { ok: true, policy: r.data, errors: [] };
  return fail(issuesToErrors(r.error.issues, value, doc, at));
}

const FORMAT_LABELS = { "aegis-v1": "AegisMCP v1", "aegis-v2": "AegisMCP v2", "tailops-v2": "TailOps v2" } as const;

function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  value: unknown,
  doc: Document | null,
  at: ((offset: number) => { line: number; column: number }) | null,
): ValidationError[] {
  const out: ValidationError[] = [];
  const push = (path: Seg[], message: string, keyOf?: string) => {
    let loc = { line: 0, column: 0 };
    if (doc && at) {
      const off = locate(doc, path, keyOf);
      loc = at(off);
    }
    out.push({ ...loc, path: formatPath(keyOf === undefined ? path : [...path, keyOf]), message });
  };
  for (const issue of flattenUnions(issues, value)) {
    const path = issue.path as Seg[];
    const last = path.length > 0 ? path[path.length - 1] : undefined;
    const name = typeof last === "string" ? last : last === undefined ? "policy" : `item ${last}`;
    const actual = getValue(value, path);
    switch (issue.code) {
      case "unrecognized_keys": {
        const allowed = allowedKeysAt(path);
        for (const k of issue.keys) {
          const hint = suggest(k, allowed);
          push(
            path,
            `unknown key \`${k}\`${contextLabel(path)}${hint ? `; did you mean \`${hint}\`?` : ""}${allowed.length ? `; expected ${orList(allowed)}` : ""}`,
            k,
          );
        }
        break;
      }
      case "invalid_value": {
        if (actual === undefined) {
          push(path.slice(0, -1), `missing required key \`${name}\`${contextLabel(path.slice(0, -1))}; expected ${orList(issue.values.map(String))}`);
          break;
        }
        if (last === "version" && path.length === 1) {
          push(path, `unsupported version \`${show(actual)}\`; expected 1 (convert other formats with \`canopy policy migrate\`)`);
          break;
        }
        const values = issue.values.map((v) => String(v));
        const hint = typeof actual === "string" ? suggest(actual, values) : null;
        push(
          path,
          `unknown ${name} \`${show(actual)}\`; expected ${orList(values)}${hint && hint !== actual ? ` (did you mean \`${hint}\`?)` : ""}`,
        );
        break;
      }
      case "invalid_type":
        if (actual === undefined) push(path.slice(0, -1), `missing required key \`${name}\`${contextLabel(path.slice(0, -1))}`);
        else push(path, `\`${name}\` must be ${article(issue.expected)}, got ${typeName(actual)}`);
        break;
      case "too_small":
      case "too_big":
      case "invalid_format":
      case "custom":
      case "invalid_union":
      default:
        push(path, `\`${name}\` ${ownMessage(issue.message)}`);
    }
  }
  const seen = new Set<string>();
  return out
    .filter((e) => {
      const k = `${e.line}:${e.column}:${e.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * A union issue (string | list) hides the real problem in one branch; report the branch that
 * went deepest into the value, unless the union carries its own message.
 */
function flattenUnions(issues: readonly z.core.$ZodIssue[], value: unknown): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const actual = getValue(value, issue.path as Seg[]);
      const branch = issue.errors.find((b) => b.length > 0 && b.every((i) => i.path.length > 0));
      const generic = /^Invalid input$/.test(issue.message);
      if (branch && Array.isArray(actual)) {
        out.push(...flattenUnions(branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue), value));
        continue;
      }
      if (generic) {
        const first = issue.errors.find((b) => b.length > 0);
        if (first) {
          out.push(...flattenUnions(first.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue), value));
          continue;
        }
      }
    }
    out.push(issue);
  }
  return out;
}

function ownMessage(m: string): string {
  // zod's stock phrasing ("Too small: expected number to be >=1") reads poorly after a key name.
  return m
    .replace(/^Too small: expected (\w+) to have >=(\d+) (\w+)$/, "must have at least $2 $3")
    .replace(/^Too small: expected (\w+) to be >=?(.+)$/, "must be at least $2")
    .replace(/^Too big: expected (\w+) to be <=?(.+)$/, "must be at most $2")
    .replace(/^Invalid input: expected (\w+), received (\w+)$/, "must be $1, got $2")
    .replace(/^Invalid input$/, "has an invalid value");
}

function locate(doc: Document, path: Seg[], keyOf?: string): number {
  let node: unknown = doc.contents;
  let best = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) return best;
      node = pair.value ?? pair.key;
      const r = (node as YamlNode | null)?.range ?? (pair.key as YamlNode | null)?.range;
      if (r) best = r[0];
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg];
      const r = (node as YamlNode | null)?.range;
      if (r) best = r[0];
      else return best;
    } else return best;
  }
  if (keyOf !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && keyText(p.key) === keyOf);
    const r = (pair?.key as YamlNode | null)?.range;
    if (r) return r[0];
  }
  return best;
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return undefined;
}

function getValue(root: unknown, path: Seg[]): unknown {
  let cur = root;
  for (const s of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, s)) return undefined;
    cur = (cur as Record<string, unknown>)[s as string];
  }
  return cur;
}

/** Which object kind a path points at, to list the keys it accepts. */
function allowedKeysAt(path: Seg[]): readonly string[] {
  const n = path.length;
  if (n === 0) return ALLOWED_KEYS.policy;
  const last = path[n - 1];
  const prev = path[n - 2];
  if (n === 1 && last === "defaults") return ALLOWED_KEYS.defaults;
  if (n === 2 && path[0] === "rules") return ALLOWED_KEYS.rule;
  if (n === 2 && path[0] === "facts") return ALLOWED_KEYS.facts;
  if (last === "where" || last === "not" || prev === "any") return ALLOWED_KEYS.conditions;
  if (prev === "params") return ALLOWED_KEYS.param;
  if (prev === "args") return ALLOWED_KEYS.arg;
  if (last === "time_window" || prev === "time_window") return ALLOWED_KEYS.time_window;
  return [];
}

function contextLabel(path: Seg[]): string {
  if (path.length === 0) return " at the top level";
  return ` in \`${formatPath(path)}\``;
}

export function formatPath(path: readonly Seg[]): string {
  let s = "";
  for (const seg of path) {
    if (typeof seg === "number") s += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) s += s ? `.${seg}` : seg;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

function show(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} \`${show(v)}\``;
}

function article(expected: string): string {
  const names: Record<string, string> = { array: "a list", object: "a mapping", string: "a string", number: "a number", boolean: "true or false", int: "an integer" };
  return names[expected] ?? expected;
}

/** Closest allowed word by edit distance, when close enough to be a typo. */
export function suggest(word: string, options: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.ceil(word.length / 2)) && bestD < word.length ? best : null;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** `line 7, column 13: unknown action …` */
export function formatValidationError(e: ValidationError): string {
  return e.line > 0 ? `line ${e.line}, column ${e.column}: ${e.message}` : e.path ? `${e.path}: ${e.message}` : e.message;
}
