import { tenantDashboard } from "@/lib/dashboard/dashboard";
import { dashboardQuerySchema } from "@/lib/dashboard/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";
import { withAuth } from "@/lib/server";

export const dynamic = "force-dynamic";

/** The console dashboard's aggregates for one range (the caller's tenant; another one for platform admins). */
export const GET = withAuth(
  async ({ req, principal, services }) => tenantDashboard(services, principal, dashboardQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams))),
  { permission: "audit.read" },
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
