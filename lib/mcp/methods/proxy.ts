import { dispatchProxy } from "../proxy";
import type { Era } from "../revisions";
import type { MethodEntry } from "./context";

/** An upstream offering relayed by lib/mcp/proxy (resources, prompts, completions, logging) under the policy. */
const proxied = (method: string, eras: readonly Era[], privateList = false): MethodEntry => ({
  eras,
  privateList,
  handle: async (message, ctx) => (await dispatchProxy(ctx.gateway, method, message, ctx.principal, ctx.signal)) as Record<string, unknown>,
});

const BOTH: readonly Era[] = ["session", "stateless"];
/** 2026-07-28 removed subscriptions and logging/setLevel (subscriptions/listen and per-request log levels replace them). */
const SESSION: readonly Era[] = ["session"];

export const PROXIED_METHODS: Readonly<Record<string, MethodEntry>> = {
  "resources/list": proxied("resources/list", BOTH, true),
  "resources/templates/list": proxied("resources/templates/list", BOTH, true),
  "resources/read": proxied("resources/read", BOTH, true),
  "resources/subscribe": proxied("resources/subscribe", SESSION),
  "resources/unsubscribe": proxied("resources/unsubscribe", SESSION),
  "prompts/list": proxied("prompts/list", BOTH, true),
  "prompts/get": proxied("prompts/get", BOTH),
  "completion/complete": proxied("completion/complete", BOTH),
  "logging/setLevel": proxied("logging/setLevel", SESSION),
};
