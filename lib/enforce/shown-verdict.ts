import type { Redactor } from "@/lib/audit";
import type { GatewayCall, Principal, Verdict } from "./types";

/**
 * The verdict as it leaves the server (MCP `_meta.canopyiq`, guard answers, built-in tools): the
 * call's secrets are redacted from it as from the audit record, including where the policy trace,
 * a reason or an error message echoes an argument's value.
 */
export function shownVerdict(principal: Principal, call: GatewayCall, verdict: Verdict, r: Redactor): Verdict {
  return r.scope(principal.tenant).remember(call.arguments, call.meta).value(verdict) as Verdict;
}
