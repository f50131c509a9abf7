import { NextResponse } from "next/server";
import { createTenantBodySchema } from "@/lib/access/schemas";
import { createTenant, listTenantsFor } from "@/lib/access/tenants";
import { jsonBody, withAuth } from "@/lib/server";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Platform admins create tenants; 201 with the tenant. */
export const POST = withAuth(
  async ({ req, principal, services }) => NextResponse.json(await createTenant(services, principal, await jsonBody(req, createTenantBodySchema)), { status: 201 }),
  { permission: "tenants.manage" },
);

/** Every tenant for platform admins; the caller's own otherwise. */
export const GET = withAuth(async ({ principal, services }) => listTenantsFor(services, principal), { permission: "tenants.read" });

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
