import { AppError } from "@/lib/errors";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function originOf(value: string | null): string | null {
  if (!value || value === "null") return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * Cross-site request forgery guard for console sessions: a cookie rides along with any request the
 * browser sends, so an unsafe method must come from a page of this site: `Origin` (or, without it,
 * `Referer`) equal to the request's own origin or the console's public URL (NEXTAUTH_URL), and not
 * marked `Sec-Fetch-Site: cross-site`. Bearer tokens are not sent by browsers on their own, so
 * token requests are not checked.
 */
export function checkSameOrigin(req: Request, publicUrl: string): void {
  if (!UNSAFE_METHODS.has(req.method)) return;
  const refuse = (why: string) => new AppError(403, "csrf_rejected", `cross-site request refused: ${why}. Console writes must come from the console's own pages; scripts should use a bearer token`);
  if (req.headers.get("sec-fetch-site") === "cross-site") throw refuse("the browser marked it Sec-Fetch-Site: cross-site");
  const origin = req.headers.has("origin") ? originOf(req.headers.get("origin")) : originOf(req.headers.get("referer"));
  if (!origin) throw refuse("it carries no Origin or Referer header naming this site");
  const own = new Set([new URL(req.url).origin, originOf(publicUrl)]);
  if (!own.has(origin)) throw refuse(`it comes from ${origin}, not from this site`);
}
