/**
 * The engine's JSON Schema (lib/policy's policyJsonSchema, draft 2020-12) in the dialect the
 * editor's YAML language service reads best: `$defs` as `definitions` (draft-07 references), and
 * every description also as markdown, so `host_in`-style code spans render in hovers and completion
 * details. Pure: the page builds it once on the server and hands it to the editor.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function convert(node: Json): Json {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== "object") return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$schema") continue;
    if (k === "$defs") out.definitions = convert(v);
    else if (k === "$ref" && typeof v === "string") out.$ref = v.replace(/^#\/\$defs\//, "#/definitions/");
    else out[k] = convert(v);
  }
  if (typeof out.description === "string" && out.markdownDescription === undefined) out.markdownDescription = out.description;
  return out;
}

export function editorSchema(schema: Record<string, unknown>): Record<string, unknown> {
  // Without a title at the root, hovers show a key's own description instead of "CanopyIQ policy" above each.
  const { title: _title, ...rest } = convert(schema as Json) as Record<string, unknown>;
  return rest;
}
