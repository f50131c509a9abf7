import { withErrors } from "@/lib/server";
import { slackCallback } from "@/lib/approvals";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * Slack interactivity. Authenticated by Slack's request signature, not by a token: the headers and
 * timestamp are checked before the body is read, the body is read bounded (64 KiB by default), and
 * its signature verified before anything is parsed.
 */
export const POST = withErrors("approvals.slackCallback", async ({ req, services }) => slackCallback(req, { env: services.env, service: await services.approvals(), prisma: (await services.db()).prisma, nowSeconds: Math.floor(services.clock.nowMs() / 1000) }));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
