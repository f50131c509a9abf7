import { NextResponse } from "next/server";
import { withAuth } from "@/lib/server";
import { listForPrincipal, requestFromSeed003 } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 003: an agent requests a human decision. */
export const POST = withAuth("approvals.request", async ({ body, principal, services }) => {
  const input = await body();
  const { approval, created } = await requestFromSeed003(services, principal, input);
  return NextResponse.json(approval, { status: created ? 201 : 200 });
});

/** GET /api/v1/approvals?status=&tenant=&tool=&subject=&limit=&before= — pending first. */
export const GET = withAuth("approvals.list", async ({ query, principal, services }) => {
  const q = query();
  return listForPrincipal(services, principal, q);
});

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
