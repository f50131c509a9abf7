import { withErrors } from "@/lib/server";
import { slackRequest } from "@/lib/slack";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * Slack interactivity (button clicks), handled by the Bolt app. Authenticated by Slack's request
 * signature, not by a token: the headers and timestamp are checked before the body is read, the
 * body is read bounded (64 KiB by default), and its signature verified before anything is parsed.
 */
export const POST = withErrors("approvals.slackCallback", async ({ req, services }) => slackRequest(await services.slack(), req));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
