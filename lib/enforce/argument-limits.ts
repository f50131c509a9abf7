/**
 * Bounds on a tool call's arguments, checked before they are hashed, evaluated or audited. The
 * walk is iterative (a deeply nested value cannot overflow the stack) and stops at the first
 * violation, so checking costs at most what the limits allow.
 */

export interface ArgumentLimits {
  /** Containers nested inside one another, the arguments object itself counting as 1. */
  maxDepth: number;
  /** Size of the arguments as UTF-8 JSON. */
  maxBytes: number;
  /** Keys of any one object. */
  maxKeys: number;
  /** Items of any one array. */
  maxItems: number;
}

export const DEFAULT_ARGUMENT_LIMITS: ArgumentLimits = { maxDepth: 32, maxBytes: 2 * 1024 * 1024, maxKeys: 1000, maxItems: 10_000 };

export interface ArgumentViolation {
  limit: "depth" | "bytes" | "keys" | "items" | "name";
  max: number;
  /** depth and bytes: how far the walk got when the limit was passed (at least this much); keys and items: the count. */
  actual: number;
  /** Where: `arguments.a.b[3]` (keys shortened), never the values. */
  path: string;
}

const SEGMENT_MAX = 64;
const PATH_MAX = 512;

function segment(key: string): string {
  const k = key.length > SEGMENT_MAX ? `${key.slice(0, SEGMENT_MAX)}…` : key;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

function join(path: string, next: string): string {
  if (path.length >= PATH_MAX) return path.endsWith("…") ? path : `${path}…`;
  return path + next;
}

function scalarBytes(v: unknown): number {
  switch (typeof v) {
    case "string":
      return Buffer.byteLength(JSON.stringify(v));
    case "number":
      return Number.isFinite(v) ? String(v).length : 4;
    case "boolean":
      return v ? 4 : 5;
    case "bigint":
      return String(v).length;
    default:
      return 4; // null (undefined and functions do not come out of JSON)
  }
}

/** The first limit `value` passes, or null when it is within all of them. */
export function checkArgumentBounds(value: unknown, limits: ArgumentLimits, root = "arguments"): ArgumentViolation | null {
  let bytes = 0;
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 1, path: root }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== "object") {
      bytes += scalarBytes(v);
    } else {
      if (depth > limits.maxDepth) return { limit: "depth", max: limits.maxDepth, actual: depth, path };
      if (Array.isArray(v)) {
        if (v.length > limits.maxItems) return { limit: "items", max: limits.maxItems, actual: v.length, path };
        bytes += 2 + Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, path: join(path, `[${i}]`) });
      } else {
        const keys = Object.keys(v);
        if (keys.length > limits.maxKeys) return { limit: "keys", max: limits.maxKeys, actual: keys.length, path };
        bytes += 2 + Math.max(0, keys.length - 1);
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i];
          bytes += Buffer.byteLength(JSON.stringify(k)) + 1;
          stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, path: join(path, segment(k)) });
        }
      }
    }
    if (bytes > limits.maxBytes) return { limit: "bytes", max: limits.maxBytes, actual: bytes, path: root };
  }
  return null;
}

/** Tool names are short (MCP suggests at most 128 characters); a longer one is refused before it is evaluated or recorded. */
export const TOOL_NAME_MAX = 256;
/** Resource URIs are longer than names; the audit record's `tool` column holds at most 500 characters. */
export const RESOURCE_URI_MAX = 500;

export function checkToolName(name: string, kind: "tool" | "resource" | "prompt" = "tool"): ArgumentViolation | null {
  const max = kind === "resource" ? RESOURCE_URI_MAX : TOOL_NAME_MAX;
  return name.length > max ? { limit: "name", max, actual: name.length, path: kind === "resource" ? "uri" : kind === "prompt" ? "name" : "tool" } : null;
}

const NOUN: Record<Exclude<ArgumentViolation["limit"], "name">, string> = {
  depth: "TOOL_ARGS_MAX_DEPTH",
  bytes: "TOOL_ARGS_MAX_BYTES",
  keys: "TOOL_ARGS_MAX_KEYS",
  items: "TOOL_ARGS_MAX_ITEMS",
};

/** What, where and how to fix, in one sentence. */
export function describeViolation(v: ArgumentViolation): string {
  if (v.limit === "name") {
    if (v.path === "uri") return `the resource URI is ${v.actual} characters long, more than ${v.max}: use a URI as resources/list gives it`;
    if (v.path === "name") return `the prompt name is ${v.actual} characters long, more than ${v.max}: use a name as prompts/list gives it`;
    return `the call's tool name is ${v.actual} characters long, more than ${v.max}: use a tool name as tools/list gives it`;
  }
  const what =
    v.limit === "depth"
      ? `are nested deeper than ${v.max} levels (at ${v.path})`
      : v.limit === "bytes"
        ? `are larger than ${v.max} bytes as JSON`
        : v.limit === "keys"
          ? `contain an object with ${v.actual} keys, more than ${v.max} (at ${v.path})`
          : `contain an array with ${v.actual} items, more than ${v.max} (at ${v.path})`;
  const root = v.path.split(/[.[]/)[0] || "arguments";
  return `the call's ${root} ${what}: send smaller ${root} (the limit is ${NOUN[v.limit]})`;
}
