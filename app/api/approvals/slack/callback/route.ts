import { withErrors } from "@/lib/auth";
import { slackCallback } from "@/lib/approvals";

export const dynamic = "force-dynamic";

/** Slack interactivity. Authenticated by Slack's request signature (checked on the raw body first), not by a token. */
export const POST = withErrors(async ({ req }) => {
  const raw = await req.text();
  return slackCallback(raw, req.headers);
});
