import { acceptInvitation } from "@/lib/access/invitations";
import { withErrors } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * Public: the invitation's one-time secret is the credential (256 random bits; only its hash is
 * stored). Sets the invited person's password; a used or expired link is 410.
 */
export const POST = withErrors("access.invitations.accept", async ({ body, services }) => acceptInvitation(services, await body()));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
