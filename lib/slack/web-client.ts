import { webApi } from "@slack/bolt";

export type SlackWebClient = InstanceType<typeof webApi.WebClient>;

export interface SlackWebClientConfig {
  botToken: string;
  /** SLACK_API_BASE_URL: Slack's Web API, or a local fake in tests. */
  apiBaseUrl: string;
  timeoutMs?: number;
}

/**
 * The Web API client every Slack call goes through (chat.postMessage, chat.update,
 * chat.postEphemeral, views.publish). Few, quick retries: the caller is a vote or a page view,
 * not a batch job that may wait half an hour (the library's default policy).
 */
export function createSlackWebClient(cfg: SlackWebClientConfig): SlackWebClient {
  return new webApi.WebClient(cfg.botToken, {
    slackApiUrl: `${cfg.apiBaseUrl.replace(/\/+$/, "")}/`,
    timeout: cfg.timeoutMs ?? 5_000,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    logLevel: webApi.LogLevel.ERROR,
    // Method names are never URLs here; a crafted one must not leave SLACK_API_BASE_URL.
    allowAbsoluteUrls: false,
  });
}
