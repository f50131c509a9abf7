import { randomUUID } from "node:crypto";
import { NextResponse } from "next/server";
import type { Logger } from "pino";
import { requireTenant } from "@/lib/auth/tenant-scope";
import type { Principal } from "@/lib/auth/principal";
import { requirePermission } from "@/lib/auth/require-permission";
import { checkSameOrigin } from "@/lib/auth/same-origin";
import { publicUrl } from "@/lib/env";
import { toErrorEnvelope } from "@/lib/errors";
import { jsonBody } from "@/lib/http/body";
import { ROUTE_ID, routeSpec, type AuthRouteId, type PublicRouteId, type RouteId, type RouteParams } from "@/lib/http/route-table";
import { readRouteBody, readRouteQuery, type BodyOf, type QueryOf } from "./route-input";
import { services } from "./slot";
import type { Services } from "./types";

export { jsonBody };

export interface HandlerContext<P, B = never, Q = never> {
  req: Request;
  /** The body read and parsed with the route's body schema (400 naming a bad or unknown field). */
  body: () => Promise<B>;
  /** The query parsed with the route's query schema (400 naming a bad or unknown parameter). */
  query: () => Q;
  /** The process's services (the composition root): what the handler's one lib call runs on. */
  services: Services;
  params: P;
  principal: Principal;
  requestId: string;
  log: Logger;
}

export interface PublicContext<P, B = never, Q = never> {
  req: Request;
  body: () => Promise<B>;
  query: () => Q;
  services: Services;
  params: P;
  requestId: string;
  log: Logger;
}

type RouteContext<P> = { params: Promise<P> };

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

function requestIdOf(req: Request) {
  const given = req.headers.get("x-request-id");
  return given && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
}

function inputOf<Id extends RouteId>(id: Id, req: Request) {
  return { body: () => readRouteBody(id, req) as Promise<BodyOf<Id>>, query: () => readRouteQuery(id, req) as QueryOf<Id> };
}

function marked<H extends object>(handler: H, id: string | null): H {
  if (id) Object.defineProperty(handler, ROUTE_ID, { value: id });
  return handler;
}

/**
 * The one wrapper of every authenticated route: authentication (bearer token or console session),
 * tenant scoping (a `tenant` route parameter must be the principal's), the RBAC check (the
 * permission of the route's entry in lib/http/route-table.ts), and error mapping to the one envelope.
 *
 *   export const POST = withAuth("policy.simulate", async ({ req, principal, services }) => …);
 */
export function withAuth<Id extends AuthRouteId>(id: Id, handler: (ctx: HandlerContext<RouteParams<Id>, BodyOf<Id>, QueryOf<Id>>) => Promise<unknown>) {
  type P = RouteParams<Id>;
  const permission = routeSpec(id).permission;
  if (!permission) throw new Error(`route ${id} is public: use withErrors`);
  const wrapped = async (req: Request, route: RouteContext<P>): Promise<Response> => {
    const requestId = requestIdOf(req);
    const svc = services();
    const logger = svc.log.child({ requestId, method: req.method, path: new URL(req.url).pathname });
    try {
      const principal = await svc.auth.authenticate(req);
      if (principal.kind === "session") checkSameOrigin(req, publicUrl());
      const params = ((await route?.params) ?? {}) as P;
      const tenant = (params as Record<string, unknown>).tenant;
      requireTenant(principal, typeof tenant === "string" ? tenant : undefined);
      requirePermission(principal, permission);
      return respond(await handler({ req, ...inputOf<Id>(id, req), services: svc, params, principal, requestId, log: logger.child({ tenant: principal.tenant, subject: principal.subject }) }), requestId);
    } catch (err) {
      return fail(err, requestId, logger);
    }
  };
  return marked(wrapped, id);
}

/**
 * For the few unauthenticated endpoints (health, Slack's signed callback, the invitation link):
 * error mapping only. `null`: the catch-all of unknown /api paths, which is no route of the table.
 */
export function withErrors<Id extends PublicRouteId>(id: Id, handler: (ctx: PublicContext<RouteParams<Id>, BodyOf<Id>, QueryOf<Id>>) => Promise<unknown>): (req: Request, route: RouteContext<RouteParams<Id>>) => Promise<Response>;
export function withErrors<P extends Record<string, string | string[]>>(id: null, handler: (ctx: PublicContext<P>) => Promise<unknown>): (req: Request, route: RouteContext<P>) => Promise<Response>;
export function withErrors<P>(id: PublicRouteId | null, handler: (ctx: never) => Promise<unknown>) {
  const run = handler as (ctx: PublicContext<P, unknown, unknown>) => Promise<unknown>;
  const wrapped = async (req: Request, route: RouteContext<P>): Promise<Response> => {
    const requestId = requestIdOf(req);
    const svc = services();
    const logger = svc.log.child({ requestId, method: req.method, path: new URL(req.url).pathname });
    try {
      const params = ((await route?.params) ?? {}) as P;
      const input = id ? inputOf(id, req) : { body: () => Promise.reject(new Error("no route")), query: () => ({}) };
      return respond(await run({ req, ...input, services: svc, params, requestId, log: logger }), requestId);
    } catch (err) {
      return fail(err, requestId, logger);
    }
  };
  return marked(wrapped, id);
}
