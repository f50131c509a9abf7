import { describe, expect, test } from "vitest";
import { z } from "zod";
import { AppError, forbidden, toErrorEnvelope } from "./index";

describe("toErrorEnvelope", () => {
  test("AppError keeps status, code, message and details", () => {
    const { status, body } = toErrorEnvelope(forbidden("no", { need: "x" }));
    expect(status).toBe(403);
    expect(body).toEqual({ error: { code: "forbidden", message: "no", details: { need: "x" } } });
  });

  test("zod errors become 400 validation_error naming the field", () => {
    const r = z.object({ roles: z.array(z.string()) }).safeParse({ roles: "admin" });
    const { status, body } = toErrorEnvelope(r.error);
    expect(status).toBe(400);
    expect(body.error.code).toBe("validation_error");
    expect(body.error.message).toMatch(/^invalid request: roles: /);
  });

  test("unknown errors do not leak their message", () => {
    const { status, body } = toErrorEnvelope(new Error("password=hunter2"));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toMatch(/hunter2/);
  });

  test("custom codes pass through", () => {
    expect(toErrorEnvelope(new AppError(429, "rate_limited", "slow down")).status).toBe(429);
  });
});
