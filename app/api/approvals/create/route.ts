import { NextResponse } from "next/server";
import { withAuth } from "@/lib/server";
import { createFromSeed000 } from "@/lib/approvals/http";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Seed 000: POST /approvals/create {pending_id, tenant, subject, tool, required_approvals, args, summary}. */
export const POST = withAuth("approvals.create", async ({ body, principal, services }) => {
  const input = await body();
  const { approval, created } = await createFromSeed000(services, principal, input);
  return NextResponse.json(approval, { status: created ? 201 : 200 });
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
