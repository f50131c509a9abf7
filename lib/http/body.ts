import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";

/**
 * The one way request bodies are read: bounded while they stream. A declared Content-Length past
 * the limit is refused before a byte is read; otherwise bytes are counted as they arrive and the
 * read stops (413 payload_too_large) the moment the limit is passed, so no more than the limit is
 * ever held in memory.
 */

export const BODY_LIMITS = {
  api: { env: "BODY_LIMIT_API_BYTES", what: "JSON API request bodies" },
  mcp: { env: "BODY_LIMIT_MCP_BYTES", what: "MCP requests (/mcp)" },
  policy: { env: "BODY_LIMIT_POLICY_BYTES", what: "policy requests (validate, simulate, diff, apply, migrate)" },
  slack: { env: "BODY_LIMIT_SLACK_BYTES", what: "Slack interactivity callbacks" },
} as const;

export type BodyKind = keyof typeof BODY_LIMITS;

/** A limit: one of the configured kinds, or explicit bytes (tests, internal callers). */
export type BodyLimit = BodyKind | { bytes: number; what: string; env?: string };

interface ResolvedLimit {
  bytes: number;
  what: string;
  env?: string;
}

function resolve(limit: BodyLimit): ResolvedLimit {
  if (typeof limit !== "string") return limit;
  const spec = BODY_LIMITS[limit];
  return { bytes: env()[spec.env], what: spec.what, env: spec.env };
}

/** The configured limit of a kind, in bytes. */
export function bodyLimitBytes(kind: BodyKind): number {
  return resolve(kind).bytes;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 2 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

export const PAYLOAD_TOO_LARGE = "payload_too_large";

function tooLarge(l: ResolvedLimit, seen: { declared?: number; read?: number }): AppError {
  const size = seen.declared !== undefined ? `declares ${seen.declared} bytes` : `exceeds ${l.bytes} bytes`;
  const fix = l.env ? `send a smaller body; an operator can raise ${l.env}` : "send a smaller body";
  return new AppError(413, PAYLOAD_TOO_LARGE, `request body ${size}: the limit for ${l.what} is ${formatBytes(l.bytes)}; ${fix}`, {
    limit_bytes: l.bytes,
    ...(seen.declared !== undefined ? { content_length: seen.declared } : { read_bytes: seen.read }),
    ...(l.env ? { setting: l.env } : {}),
  });
}

/**
 * Throws 413 when the request declares a Content-Length past the limit (nothing is read). Use it
 * before any other work (the Slack callback checks it before verifying anything else that costs).
 */
export function checkDeclaredLength(req: Request, limit: BodyLimit): void {
  const l = resolve(limit);
  const declared = req.headers.get("content-length");
  if (declared === null || declared.trim() === "") return;
  const n = Number(declared);
  if (!Number.isSafeInteger(n) || n < 0) throw new AppError(400, "bad_request", `Content-Length ${JSON.stringify(declared.slice(0, 40))} is not a byte count`);
  if (n > l.bytes) throw tooLarge(l, { declared: n });
}

/** The body's bytes, at most `limit` of them (413 otherwise). An absent body is empty. */
export async function readBodyBytes(req: Request, limit: BodyLimit): Promise<Uint8Array<ArrayBuffer>> {
  const l = resolve(limit);
  checkDeclaredLength(req, l);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > l.bytes) {
      // Stop the transfer: what is left is never pulled.
      await reader.cancel().catch(() => {});
      throw tooLarge(l, { read: total });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const utf8 = new TextDecoder("utf-8");

/** The body as text (UTF-8, like Request.text(): a leading BOM is dropped), bounded like readBodyBytes. */
export async function readBodyText(req: Request, limit: BodyLimit): Promise<string> {
  return utf8.decode(await readBodyBytes(req, limit));
}

/** A multipart (or urlencoded) form, its bytes read with the limit first and only then parsed. */
export async function readBodyForm(req: Request, limit: BodyLimit): Promise<FormData> {
  const bytes = await readBodyBytes(req, limit);
  const type = req.headers.get("content-type") ?? "";
  return new Response(bytes, { headers: { "content-type": type } }).formData();
}

/**
 * Parses a JSON body with a zod schema; bad JSON and bad shapes map to 400 with the field named,
 * a body past the route's limit (JSON API bodies unless told) to 413.
 */
export async function jsonBody<T>(req: Request, schema: { parse(v: unknown): T }, limit: BodyLimit = "api"): Promise<T> {
  const text = await readBodyText(req, limit);
  return schema.parse(text.trim() === "" ? {} : JSON.parse(text));
}

/**
 * The body of a node:http request as text, bounded like readBodyText (the data plane reads its
 * requests without building a web Request). Past the limit the rest is not read.
 */
export async function readNodeBodyText(req: import("node:http").IncomingMessage, limit: BodyLimit): Promise<string> {
  const l = resolve(limit);
  const declared = req.headers["content-length"];
  if (declared !== undefined && declared.trim() !== "") {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) throw new AppError(400, "bad_request", `Content-Length ${JSON.stringify(declared.slice(0, 40))} is not a byte count`);
    if (n > l.bytes) throw tooLarge(l, { declared: n });
  }
  return new Promise<string>((resolveText, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > l.bytes) {
        // Nothing more is held; the caller answers 413 and closes the connection.
        done();
        req.pause();
        reject(tooLarge(l, { read: total }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolveText(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
