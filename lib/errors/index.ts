/**
 * The one error class of the application. `code` is stable and machine-readable.
 *
 * A production build can hold several copies of this module (Next bundles each route on its own,
 * and a module reached from two layers is instantiated twice), so `instanceof AppError` is not a
 * reliable test: an error thrown by one copy fails `instanceof` against another and became a 500.
 * Errors carry a process-wide brand (Symbol.for) instead, and `isAppError` checks the brand.
 */
const BRAND = Symbol.for("canopyiq.AppError");

export class AppError extends Error {
  readonly [BRAND] = true;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** True for an AppError from any copy of this module. */
export function isAppError(err: unknown): err is AppError {
  if (typeof err !== "object" || err === null) return false;
  const e = err as Record<PropertyKey, unknown>;
  return e[BRAND] === true && typeof e.status === "number" && typeof e.code === "string" && typeof e.message === "string";
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

/** One detail per field; an unknown field (a strict object's unrecognized key) is named by its own path. */
function issueDetails(issues: ZodLikeIssue[]): { path: string; message: string }[] {
  return issues.flatMap((i) => {
    const at = i.path.map(String);
    if (i.code === "unrecognized_keys" && Array.isArray(i.keys)) {
      return i.keys.map((k) => ({ path: [...at, k].join("."), message: "unknown field: not accepted here (see /api/openapi.json)" }));
    }
    return [{ path: at.join("."), message: i.message }];
  });
}

/** zod's ZodError from any copy of zod (same reason as above). */
function isZodError(err: unknown): err is { issues: ZodLikeIssue[] } {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; issues?: unknown };
  return (e.name === "ZodError" || e.name === "$ZodError") && Array.isArray(e.issues);
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, "bad_request", message, details);
export const unauthorized = (message = "authentication required: send Authorization: Bearer <token> or sign in") =>
  new AppError(401, "unauthorized", message);
export const forbidden = (message: string, details?: unknown) => new AppError(403, "forbidden", message, details);
export const notFound = (message: string) => new AppError(404, "not_found", message);
export const conflict = (message: string, details?: unknown) => new AppError(409, "conflict", message, details);
export const unavailable = (message: string, details?: unknown) => new AppError(503, "unavailable", message, details);

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

/** Maps any thrown value to a status and the error envelope. Unknown errors never leak internals. */
export function toErrorEnvelope(err: unknown): { status: number; body: ErrorEnvelope } {
  if (isAppError(err)) {
    const status = Number.isInteger(err.status) && err.status >= 400 && err.status <= 599 ? err.status : 500;
    return { status, body: { error: { code: err.code, message: err.message, details: err.details } } };
  }
  if (isZodError(err)) {
    const details = issueDetails(err.issues);
    const first = details[0];
    const where = first?.path ? `${first.path}: ` : "";
    return {
      status: 400,
      body: { error: { code: "validation_error", message: `invalid request: ${where}${first?.message ?? "bad input"}`, details } },
    };
  }
  if (err instanceof SyntaxError) {
    return { status: 400, body: { error: { code: "bad_request", message: `request body is not valid JSON: ${err.message}` } } };
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error; see the server log for the request id" } } };
}
