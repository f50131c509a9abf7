/**
 * The Slack app (issue 17): Bolt inside the Next.js routes, approval messages updated in place,
 * ephemeral answers, the App Home. The composition root builds it when SLACK_SIGNING_SECRET is set.
 */
export { createSlackApp, type SlackApp, type SlackAppDeps } from "./app";
export { slackNotifier, parseChannelMap, type SlackNotifierConfig } from "./notifier";
export { createSlackWebClient, type SlackWebClient } from "./web-client";
export { RouteReceiver, ACK_DEADLINE_MS } from "./receiver";
export { homeView, pendingForSlackUser, HOME_MAX_APPROVALS } from "./home";
export { slackVote, type SlackVoteOutcome } from "./votes";

import { AppError } from "@/lib/errors";
import type { SlackApp } from "./app";

/** What the interactivity and Events API routes do: hand the signed request to the app, or 503 (nothing read) without one. */
export async function slackRequest(app: SlackApp | null, req: Request): Promise<Record<string, unknown>> {
  if (!app) throw new AppError(503, "slack_not_configured", "Slack interactivity is not configured: set SLACK_SIGNING_SECRET");
  return app.handle(req);
}
