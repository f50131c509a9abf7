import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import type { ToolCallRound } from "@/lib/enforce/types";
import type { RoundBinding } from "../request-state";
import { RpcFailure } from "../rpc";
import type { MethodContext } from "./context";

/** At most this many answers in one retry's inputResponses (an upstream asks for a handful). */
export const MAX_INPUT_RESPONSES = 64;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A 2026-07-28 retry's round: the caller's answers and the upstream state unsealed from the
 * gateway's requestState (refused as -32602 when it fails verification: tampered, expired, or bound
 * to another principal, tool, prompt, resource or arguments), with the client's declared capabilities.
 */
export interface OpenedRound {
  round: ToolCallRound;
  /** The approval this retry's state names (a tools/call that asked its caller to get it approved). */
  approval?: string;
}

export async function roundOf(params: Record<string, unknown>, binding: RoundBinding, ctx: MethodContext): Promise<OpenedRound> {
  const round: ToolCallRound = { clientCapabilities: ctx.client?.capabilities ?? {} };
  if (Object.hasOwn(params, "inputResponses")) {
    const given = params.inputResponses;
    if (!isPlainObject(given)) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: "invalid params: inputResponses must be an object mapping each input request's key to the client's answer" });
    const keys = Object.keys(given);
    if (keys.length > MAX_INPUT_RESPONSES) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: inputResponses holds ${keys.length} answers, at most ${MAX_INPUT_RESPONSES} are accepted` });
    const bad = keys.find((k) => !isPlainObject(given[k]));
    if (bad !== undefined) throw new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: inputResponses.${bad} must be an object (the result of the input request it answers)` });
    round.inputResponses = given;
  }
  if (Object.hasOwn(params, "requestState")) {
    const state = params.requestState;
    const opened = typeof state === "string" ? await ctx.requestState.open(state, binding) : null;
    if (!opened) {
      throw new RpcFailure({
        code: ErrorCode.InvalidParams,
        message: "invalid params: requestState failed verification (altered, expired, or issued for another caller, tool, prompt, resource or arguments); send the request again without it to start over",
      });
    }
    if (opened.upstream !== undefined) round.requestState = opened.upstream;
    if (opened.approval !== undefined) return { round, approval: opened.approval };
  }
  return { round };
}

