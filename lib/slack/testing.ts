import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { signSlackRequest } from "../approvals/slack";

/**
 * A local fake of Slack's Web API for tests (unit and e2e): records every call and answers the
 * methods the app uses. Mounted under `prefix`:
 *   POST {prefix}/api/<method>      chat.postMessage (a fresh ts), chat.update, chat.postEphemeral, views.publish, auth.test
 *   POST {prefix}/response/<any>    a response_url
 *   POST {prefix}/hook              an incoming webhook ("ok")
 *   GET  {prefix}/calls             the recorded calls as JSON; POST {prefix}/reset forgets them
 */
export interface RecordedSlackCall {
  method: string;
  auth: string | null;
  body: Record<string, unknown>;
  /** What the fake answered (chat.postMessage's ts, …). */
  result?: Record<string, unknown>;
  at: number;
}

const MAX_BODY = 1024 * 1024;
const MAX_CALLS = 5_000;

/** The Web API takes form-encoded or JSON bodies; nested values (blocks, view) arrive as JSON strings in forms. */
function parseCall(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes("application/json")) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    out[k] = /^[[{]/.test(v) ? (() => { try { return JSON.parse(v); } catch { return v; } })() : v;
  }
  return out;
}

export function fakeSlackHandler(prefix = "") {
  const calls: RecordedSlackCall[] = [];
  let ts = 1_700_000_000;

  async function read(req: IncomingMessage): Promise<string> {
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) throw new Error("body too large");
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  function json(res: ServerResponse, status: number, body: Record<string, unknown>) {
    const last = calls.at(-1);
    if (last && !last.result) last.result = body;
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  /** Handles a request under `prefix`; false when it is not one. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? "";
    if (!url.startsWith(`${prefix}/`)) return false;
    const path = url.slice(prefix.length).split("?")[0];
    if (path === "/calls" && req.method === "GET") return (res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(calls)), true);
    if (path === "/reset" && req.method === "POST") return ((calls.length = 0), json(res, 200, { ok: true }), true);
    if (req.method !== "POST") return (json(res, 405, { ok: false, error: "method_not_allowed" }), true);
    const body = parseCall(await read(req), String(req.headers["content-type"] ?? ""));
    const method = path.startsWith("/api/") ? path.slice(5) : path.startsWith("/response/") ? "response_url" : path === "/hook" ? "webhook" : path;
    calls.push({ method, auth: req.headers.authorization ?? null, body, at: Date.now() });
    if (calls.length > MAX_CALLS) calls.shift();
    if (method === "webhook" || method === "response_url") return (res.writeHead(200).end("ok"), true);
    switch (method) {
      case "chat.postMessage":
        json(res, 200, { ok: true, channel: body.channel, ts: `${++ts}.000100`, message: { text: body.text } });
        break;
      case "chat.update":
        json(res, 200, { ok: true, channel: body.channel, ts: body.ts });
        break;
      case "chat.postEphemeral":
        json(res, 200, { ok: true, message_ts: `${++ts}.000200` });
        break;
      case "views.publish":
        json(res, 200, { ok: true, view: { id: `V${ts}`, ...(body.view as object) } });
        break;
      case "auth.test":
        json(res, 200, { ok: true, user_id: "UBOT", bot_id: "BBOT", team_id: "T0FAKE" });
        break;
      default:
        json(res, 200, { ok: false, error: "unknown_method" });
    }
    return true;
  }

  return { handle, calls };
}

/** The fake on its own loopback server (unit tests). */
export async function startFakeSlack() {
  const fake = fakeSlackHandler();
  const server = createServer((req, res) => {
    fake.handle(req, res).then(
      (handled) => handled || res.writeHead(404).end(),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    apiBaseUrl: `${base}/api`,
    calls: fake.calls,
    callsOf: (method: string) => fake.calls.filter((c) => c.method === method),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A request as Slack sends it: signed over the raw body at `timestamp` (seconds). */
export function signedSlackRequest(url: string, signingSecret: string, timestamp: number, body: { payload: unknown } | Record<string, unknown>) {
  const raw = "payload" in body ? `payload=${encodeURIComponent(JSON.stringify(body.payload))}` : JSON.stringify(body);
  const contentType = "payload" in body ? "application/x-www-form-urlencoded" : "application/json";
  return new Request(url, { method: "POST", body: raw, headers: { "content-type": contentType, ...signSlackRequest(signingSecret, timestamp, raw) } });
}
