import { NextResponse } from "next/server";
import { withAuth } from "@/lib/server";
import { readBodyText } from "@/lib/http/body";
import { deleteUpstream, putUpstream } from "@/lib/mcp/upstreams/admin";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/** Creates (201) or replaces (200) the caller's tenant's HTTP upstream {name}; audited. */
export const PUT = withAuth("upstreams.put", async ({ req, query, params, principal, services }) => {
  const text = await readBodyText(req, "api");
  const result = await putUpstream(principal, params.name, text.trim() === "" ? {} : JSON.parse(text), query(), services.upstreamAdmin);
  return NextResponse.json(result, { status: result.created ? 201 : 200 });
});

/** Deletes the caller's tenant's upstream {name} and closes its connection; audited. */
export const DELETE = withAuth("upstreams.delete", async ({ query, params, principal, services }) => deleteUpstream(principal, params.name, query(), services.upstreamAdmin));

export const { GET, HEAD, POST, PATCH, OPTIONS } = methodsNotAllowed("PUT", "DELETE");
