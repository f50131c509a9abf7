import type { Principal } from "@/lib/auth";
import type { Env } from "@/lib/env";
import type { Services } from "@/lib/server/types";
import { AppError } from "@/lib/errors";
import { sign } from "@/lib/signing";
import { parseOrReject } from "./diff";
import { policyHash, withoutBom } from "./identity";

/** Whether an operator configured a server-held signing key. */
export function serverSigningKey(env: Env): string | null {
  return env.POLICY_SIGNING_PRIVATE_KEY_B64 ?? null;
}

/**
 * Signs the exact bytes of a policy (a leading BOM stripped: the bytes stored and hashed) with the
 * server-held key, for an author who holds policies.sign; audited as signed by the server key on
 * behalf of the author. The author still applies it: signing changes nothing that runs.
 */
export async function signWithServerKey(svc: Services, principal: Principal, text: string, message?: string) {
  const key = serverSigningKey(svc.env);
  if (!key) throw new AppError(404, "no_server_key", "this server holds no signing key (POLICY_SIGNING_PRIVATE_KEY_B64): sign the policy yourself (npx canopy policy sign FILE --private-key K) and paste the signature");
  const bytes = withoutBom(text);
  const policy = parseOrReject(bytes);
  const signature = sign(Buffer.from(bytes, "utf8"), key);
  const hash = policyHash(bytes);
  await svc.audit.append({
    tenant: principal.tenant,
    kind: "policy_change",
    subject: principal.subject,
    reason: `policy ${hash.slice(0, 12)} signed by the server key on behalf of ${principal.subject}`,
    data: { action: "sign", signed_by: "server-key", on_behalf_of: principal.subject, hash, rules: policy.rules.length, message: message ?? null },
  });
  return { signature, hash, signed_by: "server-key" as const, on_behalf_of: principal.subject };
}

/** "server-key" when the signature is the server key's over these bytes (Ed25519 is deterministic), else "author". */
export function signerOf(env: Env, text: string, signature: string | null): "server-key" | "author" | null {
  if (!signature) return null;
  const key = serverSigningKey(env);
  if (!key) return "author";
  try {
    return sign(Buffer.from(withoutBom(text), "utf8"), key) === signature.trim() ? "server-key" : "author";
  } catch {
    return "author";
  }
}
