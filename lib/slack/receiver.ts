import type { App, Receiver, ReceiverEvent } from "@slack/bolt";
import { checkSlackHeaders, verifySlackSignature, type SlackVerifyFailure } from "@/lib/approvals";
import { AppError } from "@/lib/errors";
import { readBodyText } from "@/lib/http/body";
import type { KvStore } from "@/lib/redis";

/** Slack gives an app 3 s to answer; what has not acknowledged by then is acknowledged empty. */
export const ACK_DEADLINE_MS = 2_500;

export interface RouteReceiverOptions {
  signingSecret: string;
  /** Replay memory, shared by the replicas (Redis): a signature is accepted once. */
  kv: KvStore;
  keyPrefix: string;
  nowSeconds(): number;
  ackDeadlineMs?: number;
  toleranceSeconds?: number;
  onBackgroundError(err: unknown): void;
}

function rejected(reason: SlackVerifyFailure | "replayed"): AppError {
  if (reason === "not_configured") return new AppError(503, "slack_not_configured", "Slack interactivity is not configured: set SLACK_SIGNING_SECRET");
  const why = reason === "replayed" ? "replayed: this exact signed request was already received" : reason;
  return new AppError(401, "invalid_slack_signature", `Slack request signature rejected (${why})`);
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  try {
    if (contentType.includes("application/json")) return JSON.parse(raw) as Record<string, unknown>;
    const form = new URLSearchParams(raw);
    const payload = form.get("payload");
    if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
    // Slash commands and the like: the form fields themselves.
    if (form.size > 0 && form.has("command")) return Object.fromEntries(form);
  } catch {
    // fall through
  }
  throw new AppError(400, "bad_request", "expected Slack's interaction (a form field `payload` with JSON) or an Events API JSON body");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Whether Bolt can route this body: the fields its dispatch reads without checking are there.
 * Anything else, though signed, is acknowledged and ignored (Bolt would throw reading it).
 */
function routable(body: Record<string, unknown>): boolean {
  switch (body.type) {
    case "block_actions":
      return isObject(body.user) && Array.isArray(body.actions) && body.actions.every(isObject);
    case "event_callback":
      return isObject(body.event) && typeof body.event.type === "string";
    case "view_submission":
    case "view_closed":
      return isObject(body.view) && isObject(body.user);
    case "shortcut":
    case "message_action":
      return isObject(body.user);
    default:
      return typeof body.command === "string";
  }
}

/**
 * Bolt's receiver inside a Next.js route (no Express, no socket mode). Before Bolt sees anything:
 * the signature headers and timestamp (±300 s either way) are checked with nothing read, the body
 * is read bounded (BODY_LIMIT_SLACK_BYTES), its HMAC compared in constant time, and the signature
 * remembered so the same request is accepted once across all replicas. Then `app.processEvent`
 * runs the listeners; the HTTP answer is what they `ack()` with, within Slack's 3 s.
 */
export class RouteReceiver implements Receiver {
  private app?: App;
  private background = new Set<Promise<unknown>>();

  constructor(private opts: RouteReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  // The route serves the requests: there is nothing to listen on.
  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.flush();
  }

  /** Awaits listener work still running after its request was answered (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** One signed request from Slack: the JSON (or nothing) to answer with. */
  async handle(req: Request): Promise<Record<string, unknown>> {
    const signed = {
      signingSecret: this.opts.signingSecret,
      timestamp: req.headers.get("x-slack-request-timestamp"),
      signature: req.headers.get("x-slack-signature"),
      nowSeconds: this.opts.nowSeconds(),
      toleranceSeconds: this.opts.toleranceSeconds,
    };
    const headers = checkSlackHeaders(signed);
    if (!headers.ok) throw rejected(headers.reason);
    const raw = await readBodyText(req, "slack");
    const verified = verifySlackSignature({ ...signed, rawBody: raw });
    if (!verified.ok) throw rejected(verified.reason);
    // Twice the window: a signature is unusable (stale) by the time its memory lapses.
    const windowMs = 2 * (this.opts.toleranceSeconds ?? 300) * 1000 + 60_000;
    const first = await this.opts.kv.set(`${this.opts.keyPrefix}:${headers.hex}`, "1", { nx: true, ttlMs: windowMs }).catch((err: unknown) => {
      throw new AppError(503, "unavailable", `Slack request not accepted: the replay check could not reach its store (${String(err)}); Slack retries`);
    });
    if (!first) throw rejected("replayed");

    const body = parseBody(raw, req.headers.get("content-type") ?? "");
    if (body.type === "url_verification") return { challenge: String(body.challenge ?? "") };
    if (body.ssl_check || !routable(body)) return {};
    const app = this.app;
    if (!app) throw new AppError(503, "slack_not_configured", "Slack app is not initialized");

    let answer: (v: Record<string, unknown>) => void = () => {};
    const acked = new Promise<Record<string, unknown>>((resolve) => (answer = resolve));
    let isAcked = false;
    const retry = req.headers.get("x-slack-retry-num");
    const event: ReceiverEvent = {
      body,
      retryNum: retry && /^\d{1,3}$/.test(retry) ? Number(retry) : undefined,
      retryReason: req.headers.get("x-slack-retry-reason") ?? undefined,
      ack: async (response?: unknown) => {
        if (isAcked) return;
        isAcked = true;
        answer(response && typeof response === "object" ? (response as Record<string, unknown>) : {});
      },
    };
    const processing = app.processEvent(event);
    const tracked = processing.catch((err: unknown) => {
      if (isAcked) this.opts.onBackgroundError(err);
    });
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));

    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<Record<string, unknown>>((resolve) => (timer = setTimeout(() => resolve({}), this.opts.ackDeadlineMs ?? ACK_DEADLINE_MS)));
    try {
      // No ack and no error by the end of processing (an interaction nobody listens to): an empty 200.
      const done = processing.then(() => ({}) as Record<string, unknown>);
      return await Promise.race([acked, done, deadline]);
    } finally {
      clearTimeout(timer);
      isAcked = true;
    }
  }
}
