import type { Refused } from "./admission";

/** JSON-RPC's range for server-defined errors: the request was not run because of load. */
export const OVERLOADED_RPC_CODE = -32000;

const bodies = new WeakMap<Refused, { text: string; length: string }>();

/** overloadAnswer's body as sent, serialized once per distinct refusal (Admission reuses them). */
export function overloadBodyText(r: Refused): { text: string; length: string } {
  let b = bodies.get(r);
  if (!b) {
    const text = JSON.stringify(overloadAnswer(r).body);
    b = { text, length: String(Buffer.byteLength(text)) };
    bodies.set(r, b);
  }
  return b;
}

/**
 * The /mcp answer to a refused request: HTTP 503 with Retry-After, and a JSON-RPC error (the body
 * was not read, so no id) whose data carries the error envelope's code and details.
 */
export function overloadAnswer(r: Refused): { status: number; headers: Record<string, string>; body: object } {
  return {
    status: 503,
    headers: { "retry-after": String(r.retryAfterSeconds) },
    body: { jsonrpc: "2.0", id: null, error: { code: OVERLOADED_RPC_CODE, message: r.error.message, data: { code: r.error.code, details: r.error.details } } },
  };
}
