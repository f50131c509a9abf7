import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { RelayOwner } from "./relay-broker";

/** What a client declared at initialize that the relay acts on (a summary: the id must stay short). */
export interface ClientCaps {
  sampling: boolean;
  elicitationForm: boolean;
  elicitationUrl: boolean;
  roots: boolean;
}

export interface McpSession extends RelayOwner {
  caps: ClientCaps;
  protocolVersion: string;
  /** Issued at, ms since the epoch. */
  issuedAt: number;
}

/** A session id is good for this long; the client initializes again after (the spec's 404). */
export const SESSION_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const MAX_SESSION_ID_LENGTH = 1024;
const CONTEXT = "mcp-session:v1:";

/** The capabilities the relay cares about, from an initialize request's `capabilities`. */
export function capsOf(capabilities: unknown): ClientCaps {
  const c = (capabilities && typeof capabilities === "object" ? capabilities : {}) as Record<string, unknown>;
  const elicitation = c.elicitation && typeof c.elicitation === "object" ? (c.elicitation as Record<string, unknown>) : null;
  // 2025-06-18's `elicitation: {}` means form mode; 2025-11-25 names the modes.
  const named = elicitation ? "form" in elicitation || "url" in elicitation : false;
  return {
    sampling: Boolean(c.sampling && typeof c.sampling === "object"),
    elicitationForm: Boolean(elicitation && (!named || elicitation.form)),
    elicitationUrl: Boolean(elicitation?.url && typeof elicitation.url === "object"),
    roots: Boolean(c.roots && typeof c.roots === "object"),
  };
}

const mac = (secret: string, payload: string) => createHmac("sha256", secret).update(CONTEXT + payload).digest("base64url");

/**
 * Sessions without server state: the id is the session itself (owner, the client's declared
 * capabilities, the revision), HMAC-signed, so any replica verifies it and nobody forges or edits
 * one. It binds tenant and subject: another principal presenting it gets nothing. A random nonce
 * makes every id unique (the spec's "globally unique"): two initializes by one principal in the same
 * millisecond are two sessions, whose log levels and ends are their own.
 */
export function issueSessionId(secret: string, s: McpSession): string {
  const payload = Buffer.from(
    JSON.stringify({ t: s.tenant, s: s.subject, c: [s.caps.sampling, s.caps.elicitationForm, s.caps.elicitationUrl, s.caps.roots].map(Number).join(""), p: s.protocolVersion, i: s.issuedAt, n: randomBytes(12).toString("base64url") }),
  ).toString("base64url");
  return `${payload}.${mac(secret, payload)}`;
}

export type SessionCheck = { ok: true; session: McpSession } | { ok: false; reason: string };

/** Verifies a presented Mcp-Session-Id for `owner` at `now`: signature, owner, age. */
export function verifySessionId(secret: string, id: string, owner: RelayOwner, now: number): SessionCheck {
  if (id.length > MAX_SESSION_ID_LENGTH || !/^[\w-]+\.[\w-]+$/.test(id)) return { ok: false, reason: "malformed session id" };
  const [payload, sig] = id.split(".") as [string, string];
  const want = Buffer.from(mac(secret, payload));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: "session id signature does not verify" };
  let p: { t?: unknown; s?: unknown; c?: unknown; p?: unknown; i?: unknown };
  try {
    p = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof p;
  } catch {
    return { ok: false, reason: "malformed session id" };
  }
  if (typeof p.t !== "string" || typeof p.s !== "string" || typeof p.c !== "string" || typeof p.p !== "string" || typeof p.i !== "number") return { ok: false, reason: "malformed session id" };
  if (p.t !== owner.tenant || p.s !== owner.subject) return { ok: false, reason: "the session belongs to another principal" };
  if (now - p.i > SESSION_MAX_AGE_MS || p.i - now > 60_000) return { ok: false, reason: "the session expired: initialize again" };
  const bit = (i: number) => p.c![i as never] === "1";
  return { ok: true, session: { tenant: p.t, subject: p.s, protocolVersion: p.p, issuedAt: p.i, caps: { sampling: bit(0), elicitationForm: bit(1), elicitationUrl: bit(2), roots: bit(3) } } };
}
