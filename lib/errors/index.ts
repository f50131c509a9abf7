import { ZodError } from "zod";

/** The one error class of the application. `code` is stable and machine-readable. */
export class AppError extends Error {
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
  if (err instanceof AppError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, details: err.details } } };
  }
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
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
