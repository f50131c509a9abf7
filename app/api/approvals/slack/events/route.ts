import { withErrors } from "@/lib/server";
import { slackRequest } from "@/lib/slack";
import { methodsNotAllowed } from "@/lib/http/methods";

export const dynamic = "force-dynamic";

/**
 * Slack's Events API (the URL check and app_home_opened), handled by the Bolt app. Signed like
 * the interactivity URL, and checked the same way before anything is read or parsed.
 */
export const POST = withErrors("approvals.slackEvents", async ({ req, services }) => slackRequest(await services.slack(), req));

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
