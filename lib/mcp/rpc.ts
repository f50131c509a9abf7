import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";

/** JSON-RPC 2.0 pieces every /mcp method handler shares: ids, errors, the failure a handler throws. */
export type Id = string | number;

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** What a method handler throws to answer a JSON-RPC error (with an HTTP status on the 2026 wire). */
export class RpcFailure extends Error {
  constructor(
    readonly error: RpcError,
    /** The HTTP status of a single request's answer (2026-07-28 maps its errors to statuses); 200 when unset. */
    readonly httpStatus?: number,
  ) {
    super(error.message);
  }
}

export const rpcError = (id: Id | null, error: RpcError) => ({ jsonrpc: "2.0" as const, id, error });

export function invalidParams(issues: { path: PropertyKey[]; message: string }[]): RpcFailure {
  const first = issues[0];
  return new RpcFailure({ code: ErrorCode.InvalidParams, message: `invalid params: ${first ? `${first.path.map(String).join(".") || "params"}: ${first.message}` : "bad shape"}` }, 400);
}

export const invalidRequest = (id: Id | null, message: string) => rpcError(id, { code: ErrorCode.InvalidRequest, message: `invalid JSON-RPC 2.0 message: ${message}` });

/** The id of a single request message, when it is one a reply may carry. */
export function replyIdOf(body: unknown): Id | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}
