import { createRequestStateCodec, type ServerContext } from "@modelcontextprotocol/server";
import { digest } from "@/lib/canonical";
import { hmacSha256 } from "@/lib/signing";

/**
 * The `requestState` the gateway hands a 2026-07-28 caller with an `input_required` result: the
 * upstream's own state (opaque to the gateway) sealed with the SDK's HMAC codec, keyed by a key
 * derived from HMAC_SECRET (so every replica verifies what any replica minted) and bound to who
 * asked what: tenant, subject, tool and a digest of the arguments. A retry that alters the state,
 * comes from another principal, names another tool or changes the arguments fails verification,
 * and nothing reaches the upstream.
 */
export interface RoundBinding {
  tenant: string;
  subject: string;
  tool: string;
  arguments: Record<string, unknown>;
}

/**
 * What the gateway keeps in the state it mints: the upstream's state, when it gave one, or the
 * approval a tools/call waits for (the gateway's own input request: a URL to the approval's page).
 */
export interface SealedRound {
  upstream?: string;
  approval?: string;
}

export interface RequestStateSealer {
  seal(round: SealedRound, binding: RoundBinding): Promise<string>;
  /** The sealed round, or null when the state is tampered with, expired, or bound to another call. */
  open(state: string, binding: RoundBinding): Promise<SealedRound | null>;
}

/** How long a caller has to answer an input request and retry (the SDK codec's default is 600 s). */
export const REQUEST_STATE_TTL_SECONDS = 600;

const bindingText = (b: RoundBinding) =>
  [b.tenant, b.subject, b.tool, digest(b.arguments)].join("\0");

/**
 * The codec's bind callback receives the SDK server's request context; the gateway has none (it
 * dispatches itself), so the binding travels in a context-shaped wrapper.
 */
interface BindingContext {
  canopyBinding: string;
}
const asContext = (b: RoundBinding) => ({ canopyBinding: bindingText(b) }) as BindingContext as unknown as ServerContext;

export function createRequestStateSealer(secret: string, ttlSeconds = REQUEST_STATE_TTL_SECONDS): RequestStateSealer {
  // The codec wants 32 key bytes; HMAC_SECRET may be shorter. A derived key also keeps this use apart from the secret's others.
  const key = new Uint8Array(hmacSha256(secret, "canopyiq/mcp/requestState/v1"));
  const codec = createRequestStateCodec<SealedRound>({ key, ttlSeconds, bind: (ctx) => (ctx as unknown as BindingContext).canopyBinding });
  return {
    seal: (round, binding) => codec.mint(round, asContext(binding)),
    async open(state, binding) {
      try {
        return await codec.verify(state, asContext(binding));
      } catch {
        return null;
      }
    },
  };
}
