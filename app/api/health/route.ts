import { NextResponse } from "next/server";
import { withErrors } from "@/lib/auth";
import { checkHealth } from "@/lib/health";

export const dynamic = "force-dynamic";

export const GET = withErrors(async () => {
  const health = await checkHealth();
  return NextResponse.json(health, { status: health.status === "ok" ? 200 : 503 });
});
