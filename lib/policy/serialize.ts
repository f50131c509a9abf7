/** Canonical YAML text of a policy: keys in the documented order, so migrated files read alike. */
import { Document, Scalar, isScalar, visit } from "yaml";
import { ALLOWED_KEYS, type Policy } from "./schema";

function ordered(obj: Record<string, unknown>, order: readonly string[], inner?: (k: string, v: unknown) => unknown) {
  const out: Record<string, unknown> = {};
  for (const k of order) if (obj[k] !== undefined) out[k] = inner ? inner(k, obj[k]) : obj[k];
  for (const k of Object.keys(obj)) if (!(k in out) && obj[k] !== undefined) out[k] = inner ? inner(k, obj[k]) : obj[k];
  return out;
}

function conditions(c: unknown): unknown {
  if (!c || typeof c !== "object") return c;
  return ordered(c as Record<string, unknown>, ALLOWED_KEYS.conditions, (k, v) => {
    if (k === "not") return conditions(v);
    if (k === "any") return (v as unknown[]).map(conditions);
    if (k === "params")
      return Object.fromEntries(Object.entries(v as Record<string, Record<string, unknown>>).map(([n, p]) => [n, ordered(p, ALLOWED_KEYS.param)]));
    if (k === "time_window")
      return Array.isArray(v) ? v.map((w) => ordered(w, ALLOWED_KEYS.time_window)) : ordered(v as Record<string, unknown>, ALLOWED_KEYS.time_window);
    return v;
  });
}

export function toCanonicalYaml(policy: Policy, header?: string): string {
  const doc = ordered(policy as unknown as Record<string, unknown>, ALLOWED_KEYS.policy, (k, v) => {
    if (k === "defaults") return ordered(v as Record<string, unknown>, ALLOWED_KEYS.defaults);
    if (k === "rules")
      return (v as Record<string, unknown>[]).map((r) => ordered(r, ALLOWED_KEYS.rule, (rk, rv) => (rk === "where" ? conditions(rv) : rv)));
    return v;
  });
  const d = new Document(doc);
  visit(d, {
    Seq(_, node) {
      // Short lists of scalars read best inline: `match: [fs.read, fs.list]`.
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
    Scalar(_, node) {
      // Quote clock times: YAML 1.1 readers would take 08:00 for a base-60 number.
      if (typeof node.value === "string" && /^\d+:\d+$/.test(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  const body = d.toString({ lineWidth: 0, indentSeq: true });
  return header ? `${header.split("\n").map((l) => `# ${l}`.trimEnd()).join("\n")}\n${body}` : body;
}
