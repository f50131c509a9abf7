import { type NextRequest, NextResponse } from "next/server";

/**
 * Console pages learn which page was asked for (path and query), so a signed-out visitor is sent
 * to /login?next=… and lands back on that page after signing in. Only page requests pass here.
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set("x-canopy-path", `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  matcher: ["/((?!api/|_next/|mcp|health|metrics|v1/|admin/|approvals/|policy|guard/|favicon|icon).*)"],
};
