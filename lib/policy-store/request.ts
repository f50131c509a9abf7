import { badRequest } from "@/lib/errors";
import { readFields } from "./form";
import { policyTextOf } from "./schemas";

/**
 * Policy text from a request: raw YAML (text/yaml, text/plain), JSON `{"yaml": "…"}` or
 * `{"policy": "…"}`, or a multipart form with a file field (`policy`, `proposed`, `file` or
 * `yaml`); read by readFields, so bounded by BODY_LIMIT_POLICY_BYTES and byte for byte.
 */
export async function readPolicyText(req: Request): Promise<string> {
  const fields = await readFields(req);
  const text = policyTextOf(fields as Parameters<typeof policyTextOf>[0]);
  if (typeof text !== "string") {
    throw badRequest('send the policy YAML: a text/yaml body, JSON {"yaml": "<policy YAML>"}, or a multipart field `policy` (or `proposed`, `file`)');
  }
  if (!text.trim()) throw badRequest("the policy YAML is empty");
  return text;
}
