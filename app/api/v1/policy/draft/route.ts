import { jsonBody, withAuth } from "@/lib/server";
import { deleteOwnDraft, draftBodySchema, getOwnDraft, saveOwnDraft } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's own policy draft in its tenant (saved by the studio as the author types). */
export const GET = withAuth("policy.draft.get", async ({ principal, services }) => getOwnDraft(services, principal));

export const PUT = withAuth("policy.draft.save", async ({ req, principal, services }) => saveOwnDraft(services, principal, await jsonBody(req, draftBodySchema, "policy")));

export const DELETE = withAuth("policy.draft.delete", async ({ principal, services }) => deleteOwnDraft(services, principal));

export const { POST, PATCH, OPTIONS } = methodsNotAllowed("GET", "PUT", "DELETE");
