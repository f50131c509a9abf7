import { NextResponse } from "next/server";
import { withErrors } from "@/lib/server";
import { checkHealth } from "@/lib/health";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

export const GET = withErrors("system.health", async ({ services }) => {
  const health = await checkHealth(services);
  return NextResponse.json(health, { status: health.status === "ok" ? 200 : 503 });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
