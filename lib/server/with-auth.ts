import { randomUUID } from "node:crypto";
import { NextResponse } from "next/server";
import type { Logger } from "pino";
import { requireTenant } from "@/lib/auth/tenant-scope";
import type { Principal } from "@/lib/auth/principal";
import { can, type Permission } from "@/lib/auth/rbac";
import { checkSameOrigin } from "@/lib/auth/same-origin";
import { publicUrl } from "@/lib/env";
import { forbidden, toErrorEnvelope } from "@/lib/errors";
import { jsonBody } from "@/lib/http/body";
import { services } from "./slot";
import type { Services } from "./types";

export { jsonBody };

export interface HandlerContext<P> {
  req: Request;
  /** The process's services (the composition root): what the handler's one lib call runs on. */
  services: Services;
  params: P;
  principal: Principal;
  requestId: string;
  log: Logger;
}

export interface PublicContext<P> {
  req: Request;
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
    const svc = services();
    const logger = svc.log.child({ requestId, method: req.method, path: new URL(req.url).pathname });
    try {
      const principal = await svc.auth.authenticate(req);
      if (principal.kind === "session") checkSameOrigin(req, publicUrl());
      const params = ((await route?.params) ?? {}) as P;
      requireTenant(principal, typeof params.tenant === "string" ? params.tenant : undefined);
      if (!can(principal.roles, opts.permission)) {
        throw forbidden(`permission ${opts.permission} is required; your roles in ${principal.tenant} are: ${principal.roles.join(", ") || "none"}`, {
          permission: opts.permission,
          roles: principal.roles,
        });
      }
      return respond(await handler({ req, services: svc, params, principal, requestId, log: logger.child({ tenant: principal.tenant, subject: principal.subject }) }), requestId);
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
    const svc = services();
    const logger = svc.log.child({ requestId, method: req.method, path: new URL(req.url).pathname });
    try {
      const params = ((await route?.params) ?? {}) as P;
      return respond(await handler({ req, services: svc, params, requestId, log: logger }), requestId);
    } catch (err) {
      return fail(err, requestId, logger);
    }
  };
}
