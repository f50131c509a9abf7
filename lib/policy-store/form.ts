import { badRequest } from "@/lib/errors";
import { readBodyForm, readBodyText } from "@/lib/http/body";

/**
 * A request's fields, whatever the body: a multipart form (`curl -F strategy=all -F policy=@p.yaml`;
 * file parts are read as UTF-8 text byte for byte, a BOM included, so a signature over the file
 * still verifies), a JSON object, a urlencoded form, or raw YAML (text/yaml, text/plain: the field
 * `policy`). Query parameters fill in fields the body does not give. The body is bounded by the
 * policy routes' limit (BODY_LIMIT_POLICY_BYTES) while it is read, multipart included.
 */
export async function readFields(req: Request): Promise<Record<string, unknown>> {
  const fields: Record<string, unknown> = Object.fromEntries(new URL(req.url).searchParams);
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.includes("multipart/form-data")) {
    let form: FormData;
    try {
      form = await readBodyForm(req, "policy");
    } catch (e) {
      if (e instanceof TypeError) throw badRequest(`multipart body cannot be read: ${e.message}`);
      throw e;
    }
    for (const [key, value] of form.entries()) {
      fields[key] = typeof value === "string" ? value : Buffer.from(await value.arrayBuffer()).toString("utf8");
    }
    return fields;
  }
  const text = await readBodyText(req, "policy");
  if (text.trim() === "") return fields;
  if (type.includes("application/json")) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw badRequest(`request body is not valid JSON: ${(e as Error).message}`);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw badRequest("JSON body must be an object");
    return { ...fields, ...(body as Record<string, unknown>) };
  }
  if (type.includes("application/x-www-form-urlencoded")) return { ...fields, ...Object.fromEntries(new URLSearchParams(text)) };
  return { ...fields, policy: text };
}
