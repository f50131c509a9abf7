import { tenantDashboard } from "@/lib/dashboard/dashboard";
import { methodsNotAllowed } from "@/lib/http/methods";
import { withAuth } from "@/lib/server";

export const dynamic = "force-dynamic";

/** The console dashboard's aggregates for one range (the caller's tenant; another one for platform admins). */
export const GET = withAuth("dashboard.get", async ({ query, principal, services }) => tenantDashboard(services, principal, query()));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
