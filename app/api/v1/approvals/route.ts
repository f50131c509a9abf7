import { NextResponse } from "next/server";
import { jsonBody, withAuth } from "@/lib/server";
import { listForPrincipal, requestFromSeed003 } from "@/lib/approvals/http";
import { listQuerySchema, requestApprovalBodySchema } from "@/lib/approvals/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 003: an agent requests a human decision. */
export const POST = withAuth("approvals.request", async ({ req, principal, services }) => {
  const body = await jsonBody(req, requestApprovalBodySchema);
  const { approval, created } = await requestFromSeed003(services, principal, body);
  return NextResponse.json(approval, { status: created ? 201 : 200 });
});

/** GET /api/v1/approvals?status=&tenant=&tool=&subject=&limit=&before= — pending first. */
export const GET = withAuth("approvals.list", async ({ req, principal, services }) => {
  const q = listQuerySchema.parse(Object.fromEntries(new URL(req.url).searchParams));
  return listForPrincipal(services, principal, q);
});

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
