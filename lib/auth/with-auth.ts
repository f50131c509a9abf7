import { randomUUID } from "node:crypto";
import { NextResponse } from "next/server";
import type { Logger } from "pino";
import { publicUrl } from "@/lib/env";
import { AppError, forbidden, toErrorEnvelope } from "@/lib/errors";
import { type BodyLimit, readBodyText } from "@/lib/http/body";
import { log } from "@/lib/log";
import { authenticate } from "./authenticate";
import type { Principal } from "./principal";
import { can, type Permission } from "./rbac";

export interface HandlerContext<P> {
  req: Request;
  params: P;
  principal: Principal;
  requestId: string;
  log: Logger;
}

export interface PublicContext<P> {
  req: Request;
  params: P;
  requestId: string;
  log: Logger;
}

type RouteContext<P> = { params: Promise<P> };

/** Fails with 403 unless the principal acts in `tenant` (a token for A never acts on B). */
export function requireTenant(principal: Principal, tenant: string | undefined | null) {
  if (tenant && tenant !== principal.tenant) {
    throw forbidden(`this credential acts for tenant ${principal.tenant}, not ${tenant}`);
  }
}

function respond(result: unknown, requestId: string): Response {
  const res = result instanceof Response ? result : NextResponse.json(result ?? { ok: true });
  res.headers.set("x-request-id", requestId);
  return res;
}

function fail(err: unknown, requestId: string, logger: Logger): Response {
  const { status, body } = toErrorEnvelope(err);
  if (status >= 500) logger.error({ err }, "request failed");
  else logger.info({ status, code: body.error.code }, "request refused");
  return NextResponse.json(body, { status, headers: { "x-request-id": requestId } });
}

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
export function checkSameOrigin(req: Request): void {
  if (!UNSAFE_METHODS.has(req.method)) return;
  const refuse = (why: string) => new AppError(403, "csrf_rejected", `cross-site request refused: ${why}. Console writes must come from the console's own pages; scripts should use a bearer token`);
  if (req.headers.get("sec-fetch-site") === "cross-site") throw refuse("the browser marked it Sec-Fetch-Site: cross-site");
  const origin = req.headers.has("origin") ? originOf(req.headers.get("origin")) : originOf(req.headers.get("referer"));
  if (!origin) throw refuse("it carries no Origin or Referer header naming this site");
  const own = new Set([new URL(req.url).origin, originOf(publicUrl())]);
  if (!own.has(origin)) throw refuse(`it comes from ${origin}, not from this site`);
}

/** The caller's x-request-id when it is a sane token, else a fresh one. */
export function requestIdFrom(given: string | null | undefined): string {
  return given && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
}

function requestIdOf(req: Request) {
  return requestIdFrom(req.headers.get("x-request-id"));
}

/** 403 unless the principal's roles grant `permission` (the message names the roles held). */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (!can(principal.roles, permission)) {
    throw forbidden(`permission ${permission} is required; your roles in ${principal.tenant} are: ${principal.roles.join(", ") || "none"}`, {
      permission,
      roles: principal.roles,
    });
  }
}

/**
 * The one wrapper of every authenticated route: authentication (bearer token or console session),
 * tenant scoping (a `tenant` route parameter must be the principal's), the RBAC check, and error
 * mapping to the one envelope.
 */
export function withAuth<P extends Record<string, string | string[]> = Record<string, never>>(
  handler: (ctx: HandlerContext<P>) => Promise<unknown>,
  opts: { permission: Permission },
) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    const requestId = requestIdOf(req);
    const logger = log().child({ requestId, method: req.method, path: new URL(req.url).pathname });
    try {
      const principal = await authenticate(req);
      if (principal.kind === "session") checkSameOrigin(req);
      const params = ((await route?.params) ?? {}) as P;
      requireTenant(principal, typeof params.tenant === "string" ? params.tenant : undefined);
      requirePermission(principal, opts.permission);
      return respond(await handler({ req, params, principal, requestId, log: logger.child({ tenant: principal.tenant, subject: principal.subject }) }), requestId);
    } catch (err) {
      return fail(err, requestId, logger);
    }
  };
}

/** For the few unauthenticated endpoints (health, Slack's signed callback): error mapping only. */
export function withErrors<P extends Record<string, string | string[]> = Record<string, never>>(
  handler: (ctx: PublicContext<P>) => Promise<unknown>,
) {
  return async (req: Request, route: RouteContext<P>): Promise<Response> => {
    const requestId = requestIdOf(req);
    const logger = log().child({ requestId, method: req.method, path: new URL(req.url).pathname });
    try {
      const params = ((await route?.params) ?? {}) as P;
      return respond(await handler({ req, params, requestId, log: logger }), requestId);
    } catch (err) {
      return fail(err, requestId, logger);
    }
  };
}

/**
 * Parses a JSON body with a zod schema; bad JSON and bad shapes map to 400 with the field named,
 * a body past the route's limit (JSON API bodies unless told) to 413.
 */
export async function jsonBody<T>(req: Request, schema: { parse(v: unknown): T }, limit: BodyLimit = "api"): Promise<T> {
  const text = await readBodyText(req, limit);
  return schema.parse(text.trim() === "" ? {} : JSON.parse(text));
}
