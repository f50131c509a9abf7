import { withErrors } from "@/lib/server";
import { notFound } from "@/lib/errors";

export const dynamic = "force-dynamic";

/** Any /api path without a handler: the error envelope, not an HTML page. */
const handler = withErrors<{ path: string[] }>(null, async ({ req, params }) => {
  throw notFound(`no API endpoint ${req.method} /api/${params.path.join("/")}; see /api/openapi.json for the endpoints`);
});

export { handler as GET, handler as HEAD, handler as POST, handler as PUT, handler as PATCH, handler as DELETE, handler as OPTIONS };
