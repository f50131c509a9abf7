import { jsonBody, withAuth } from "@/lib/server";
import { deleteOwnDraft, draftBodySchema, getOwnDraft, saveOwnDraft } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's own policy draft in its tenant (saved by the studio as the author types). */
export const GET = withAuth(async ({ principal, services }) => getOwnDraft(services, principal), { permission: "policies.write" });

export const PUT = withAuth(async ({ req, principal, services }) => saveOwnDraft(services, principal, await jsonBody(req, draftBodySchema, "policy")), { permission: "policies.write" });

export const DELETE = withAuth(async ({ principal, services }) => deleteOwnDraft(services, principal), { permission: "policies.write" });

export const { POST, PATCH, OPTIONS } = methodsNotAllowed("GET", "PUT", "DELETE");
