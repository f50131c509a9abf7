import type { App, ReceiverEvent } from "@slack/bolt";
import { describe, expect, test } from "vitest";
import { signSlackRequest } from "@/lib/approvals";
import { memoryKv } from "@/lib/redis";
import { RouteReceiver } from "./receiver";

/**
 * The Slack endpoints are unauthenticated until its signature is verified, so what an attacker can
 * make it read is bounded: headers and timestamp first (nothing read), then at most 64 KiB.
 */

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
const NOW = 1_790_000_000;
const FIFTY_MB = 50 * 1024 * 1024;

/** A receiver whose app must never be reached (or, with `events`, records what reached it and acks). */
function receiver(opts: { signingSecret?: string; events?: ReceiverEvent[]; ack?: unknown } = {}) {
  const r = new RouteReceiver({ signingSecret: opts.signingSecret ?? SIGNING, kv: memoryKv(), keyPrefix: "test:slack:seen", nowSeconds: () => NOW, onBackgroundError: () => {} });
  r.init({
    processEvent: async (e: ReceiverEvent) => {
      if (!opts.events) throw new Error("must not be reached");
      opts.events.push(e);
      await e.ack(opts.ack);
    },
  } as unknown as App);
  return r;
}

/** A POST whose body would be `total` bytes, generated as it is pulled; `pulled` counts what was consumed. */
function fiftyMegabytes(headers: Record<string, string>, total = FIFTY_MB) {
  const counter = { pulled: 0 };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        const n = Math.min(16 * 1024, total - counter.pulled);
        if (n <= 0) return c.close();
        counter.pulled += n;
        c.enqueue(new Uint8Array(n).fill(0x61));
      },
    },
    { highWaterMark: 0 },
  );
  const req = new Request("http://test/api/approvals/slack/callback", { method: "POST", body, headers, duplex: "half" } as RequestInit);
  return { req, counter };
}

const call = (req: Request, r = receiver()) => r.handle(req);

describe("Slack callback: a 50 MB unauthenticated body is never read", () => {
  const fresh = signSlackRequest(SIGNING, NOW, "whatever");

  test.each([
    ["no signature headers", {}, 401, "invalid_slack_signature", /missing_headers/],
    ["a stale timestamp", { ...fresh, "x-slack-request-timestamp": String(NOW - 301) }, 401, "invalid_slack_signature", /stale_timestamp/],
    ["a malformed signature", { ...fresh, "x-slack-signature": "v0=nothex" }, 401, "invalid_slack_signature", /bad_signature/],
    ["a declared Content-Length of 50 MB (fresh, well-formed headers)", { ...fresh, "content-length": String(FIFTY_MB) }, 413, "payload_too_large", /64 KiB/],
  ])("%s: refused with nothing read", async (_label, headers, status, code, message) => {
    const { req, counter } = fiftyMegabytes(headers);
    await expect(call(req)).rejects.toMatchObject({ status, code, message: expect.stringMatching(message) });
    expect(counter.pulled).toBe(0);
  });

  test("not configured: 503 with nothing read", async () => {
    const { req, counter } = fiftyMegabytes(fresh);
    await expect(call(req, receiver({ signingSecret: "" }))).rejects.toMatchObject({ status: 503, code: "slack_not_configured" });
    expect(counter.pulled).toBe(0);
  });

  test("streamed without a length behind fresh headers: cut off after 64 KiB (+ one chunk), 413, the signature never computed over it", async () => {
    const { req, counter } = fiftyMegabytes(fresh);
    await expect(call(req)).rejects.toMatchObject({ status: 413, code: "payload_too_large", details: { limit_bytes: 64 * 1024 } });
    expect(counter.pulled).toBeGreaterThan(64 * 1024);
    expect(counter.pulled).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
  });

  test("a small body with a bad signature is read (under 64 KiB) and refused before it is parsed", async () => {
    const { req, counter } = fiftyMegabytes(fresh, 1000);
    await expect(call(req)).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/bad_signature/) });
    expect(counter.pulled).toBe(1000);
  });

  test("a correctly signed body within the limit reaches Bolt's processEvent, parsed, and its ack is the answer", async () => {
    const submission = { type: "view_submission", user: { id: "U1" }, view: { id: "V1" } };
    const body = `payload=${encodeURIComponent(JSON.stringify(submission))}`;
    const req = new Request("http://test/", { method: "POST", body, headers: { ...signSlackRequest(SIGNING, NOW, body), "x-slack-retry-num": "2", "x-slack-retry-reason": "http_timeout" } });
    const events: ReceiverEvent[] = [];
    expect(await call(req, receiver({ events, ack: { response_action: "clear" } }))).toEqual({ response_action: "clear" });
    expect(events.map((e) => [e.body, e.retryNum, e.retryReason])).toEqual([[submission, 2, "http_timeout"]]);
  });

  test.each([
    ["a view submission without its view", { type: "view_submission" }],
    ["a click without a user", { type: "block_actions", actions: [{}] }],
    ["an event callback without its event", { type: "event_callback" }],
    ["an unknown type", { type: "something_new" }],
  ])("signed, but nothing Bolt can route (%s): acknowledged empty, Bolt never reached", async (_label, payload) => {
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    expect(await call(new Request("http://test/", { method: "POST", body, headers: signSlackRequest(SIGNING, NOW, body) }))).toEqual({});
  });

  test("signed but not Slack's shape: 400 naming what was expected", async () => {
    const body = "hello=world";
    const req = new Request("http://test/", { method: "POST", body, headers: signSlackRequest(SIGNING, NOW, body) });
    await expect(call(req)).rejects.toMatchObject({ status: 400, message: expect.stringContaining("form field `payload`") });
  });
});
