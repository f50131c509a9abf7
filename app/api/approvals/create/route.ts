import { NextResponse } from "next/server";
import { jsonBody, withAuth } from "@/lib/server";
import { createFromSeed000 } from "@/lib/approvals/http";
import { createApprovalBodySchema } from "@/lib/approvals/schemas";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 000: POST /approvals/create {pending_id, tenant, subject, tool, required_approvals, args, summary}. */
export const POST = withAuth("approvals.create", async ({ req, principal, services }) => {
  const body = await jsonBody(req, createApprovalBodySchema);
  const { approval, created } = await createFromSeed000(services, principal, body);
  return NextResponse.json(approval, { status: created ? 201 : 200 });
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
