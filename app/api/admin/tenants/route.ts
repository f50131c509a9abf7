import { NextResponse } from "next/server";
import { createTenant, listTenantsFor, patchTenant } from "@/lib/access/tenants";
import { withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Platform admins create tenants; 201 with the tenant. */
export const POST = withAuth("tenants.create", async ({ body, principal, services }) => NextResponse.json(await createTenant(services, principal, await body()), { status: 201 }));

/** Every tenant for platform admins; the caller's own otherwise. */
export const GET = withAuth("tenants.list", async ({ principal, services }) => listTenantsFor(services, principal));

/** Suspend or resume (never delete: the audit chain is immutable), or rename; platform admins. */
export const PATCH = withAuth("tenants.patch", async ({ body, principal, services }) => patchTenant(services, principal, await body()));

export const { PUT, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST", "PATCH");
