import { withAuth } from "@/lib/server";
import { deleteOwnDraft, getOwnDraft, saveOwnDraft } from "@/lib/policy-store";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The caller's own policy draft in its tenant (saved by the studio as the author types). */
export const GET = withAuth("policy.draft.get", async ({ principal, services }) => getOwnDraft(services, principal));

export const PUT = withAuth("policy.draft.save", async ({ body, principal, services }) => saveOwnDraft(services, principal, await body()));

export const DELETE = withAuth("policy.draft.delete", async ({ principal, services }) => deleteOwnDraft(services, principal));

export const { POST, PATCH, OPTIONS } = methodsNotAllowed("GET", "PUT", "DELETE");
