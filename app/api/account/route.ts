import { getAccount, updateAccount } from "@/lib/access/account";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** The signed-in person's own account: identity, tenants and roles (console sessions only). */
export const GET = withAuth("account.get", async ({ principal, services }) => getAccount(services, principal));

/** Change one's own name and/or password (the current password is required for a new one). */
export const PUT = withAuth("account.update", async ({ body, principal, services }) => updateAccount(services, principal, await body()));

export const { POST, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "PUT");
