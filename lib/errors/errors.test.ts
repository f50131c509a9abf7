import { describe, expect, test, vi } from "vitest";
import { z } from "zod";
import { AppError, forbidden, isAppError, toErrorEnvelope } from "./index";

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

describe("errors from another copy of the module (a production build bundles routes separately)", () => {
  test("an AppError of a second module instance still maps to its status and code", async () => {
    vi.resetModules();
    // A query suffix makes Vite load the same file as a second, separate module instance.
    const specifier = "./index?second-copy";
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import("./index");
    expect(copy.AppError).not.toBe(AppError);
    const foreign = new copy.AppError(410, "expired", "approval expired");
    expect(foreign instanceof AppError).toBe(false);
    expect(isAppError(foreign)).toBe(true);
    expect(toErrorEnvelope(foreign)).toEqual({ status: 410, body: { error: { code: "expired", message: "approval expired", details: undefined } } });
  });

  test.each([
    ["a plain Error named AppError", Object.assign(new Error("x"), { name: "AppError", status: 403, code: "forbidden" })],
    ["an object with status and code", { status: 403, code: "forbidden", message: "x" }],
  ])("%s is not trusted as an AppError (500, no leak)", (_label, err) => {
    expect(isAppError(err)).toBe(false);
    expect(toErrorEnvelope(err).status).toBe(500);
  });
});
