import { withAuth } from "@/lib/auth";
import { badRequest } from "@/lib/errors";
import { diffAgainstActive, diffRequestSchema, policyTextOf, readFields } from "@/lib/policies";

export const dynamic = "force-dynamic";

/** Seed 000 §6D: `curl -F proposed=@policy.yaml` (or JSON `{proposed}`, or raw YAML) → headline, risk, rule and decision changes.
 * It compiles and replays a caller-supplied policy, so it needs policies.write (policy authors, admins). */
export const POST = withAuth(
  async ({ req, principal }) => {
    const body = diffRequestSchema.parse(await readFields(req));
    const yaml = policyTextOf(body);
    if (yaml === undefined) throw badRequest("send the proposed policy YAML: multipart field `proposed` (or `policy`, `file`), JSON {\"proposed\": \"…\"}, or a text/yaml body");
    return diffAgainstActive(principal, yaml, { replay_limit: body.replay_limit });
  },
  { permission: "policies.write" },
);
