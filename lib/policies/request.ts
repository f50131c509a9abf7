import { z } from "zod";
import { badRequest } from "@/lib/errors";
import { readBodyForm, readBodyText } from "@/lib/http/body";

const jsonBody = z.union([z.object({ yaml: z.string() }), z.object({ policy: z.string() })]);

/**
 * Policy text from a request: raw YAML (text/yaml, text/plain), JSON `{"yaml": "…"}` or
 * `{"policy": "…"}`, or a multipart form with a file field (`policy`, `proposed` or `file`);
 * bounded by BODY_LIMIT_POLICY_BYTES while it is read.
 */
export async function readPolicyText(req: Request): Promise<string> {
  const type = req.headers.get("content-type") ?? "";
  if (type.includes("multipart/form-data")) {
    let form: FormData;
    try {
      form = await readBodyForm(req, "policy");
    } catch (e) {
      if (e instanceof TypeError) throw badRequest(`multipart body cannot be read: ${e.message}`);
      throw e;
    }
    for (const field of ["policy", "proposed", "file", "yaml"]) {
      const value = form.get(field);
      if (typeof value === "string") return value;
      if (value) return await value.text();
    }
    throw badRequest("multipart body needs a `policy` (or `proposed`, `file`) field with the YAML");
  }
  const text = await readBodyText(req, "policy");
  if (type.includes("application/json")) {
    const parsed = jsonBody.safeParse(JSON.parse(text));
    if (!parsed.success) throw badRequest('JSON body must be {"yaml": "<policy YAML>"}');
    return "yaml" in parsed.data ? parsed.data.yaml : parsed.data.policy;
  }
  if (!text.trim()) throw badRequest("request body is empty: send the policy YAML");
  return text;
}
