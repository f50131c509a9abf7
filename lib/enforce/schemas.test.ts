import { describe, expect, test } from "vitest";
import { ZodError } from "zod";
import { toErrorEnvelope } from "@/lib/errors";
import { guardRequestSchema } from "./schemas";

/** What the guard API answers for a body: the parsed call, or the 400 envelope. */
function answer(body: unknown) {
  try {
    return { ok: true as const, call: guardRequestSchema.parse(body) };
  } catch (err) {
    expect(err).toBeInstanceOf(ZodError);
    return { ok: false as const, ...toErrorEnvelope(err) };
  }
}

describe("guard API bodies: money must be a finite amount >= 0 (issue 9 item 4)", () => {
  test.each([
    ["a negative stated cost (flat, seed 004 style)", { tool: "cloud.ops", estimated_cost_usd: -5 }, "estimated_cost_usd", /estimated_cost_usd must not be negative, got -5/],
    ["a negative amount in arguments", { tool: "refunds.refund", arguments: { amount_cents: -12000, op: "refund" } }, "arguments.amount_cents", /amount_cents must not be negative/],
    ["an infinite amount (JSON 1e309)", JSON.parse('{"tool":"refunds.refund","amount_cents":1e309}'), "amount_cents", /is not a finite number \(JSON numbers past ±1.8e308 read as infinite\)/],
    ["an infinite number anywhere in the arguments", JSON.parse('{"tool":"x.y","arguments":{"deep":[{"n":-1e400}]}}'), "arguments.deep.0.n", /is not a finite number/],
    ["a cost written as an exponent string", { tool: "cloud.ops", arguments: { estimated_cost_usd: "1e309" } }, "arguments.estimated_cost_usd", /must be a number, got "1e309"/],
    ["a non-numeric amount", { tool: "refunds.refund", amount_cents: "lots" }, "amount_cents", /must be a number, got "lots"/],
  ])("%s → 400 naming the field", (_label, body, field, message) => {
    const r = answer(body);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("validation_error");
    expect(r.body.error.message).toMatch(new RegExp(`^invalid request: ${field.replace(/[.[\]]/g, "\\$&")}: `));
    expect(r.body.error.message).toMatch(message);
  });

  test.each([
    ["seed 004's flat refund", { tool: "refunds.refund", amount_cents: 12000, op: "refund" }, { amount_cents: 12000, op: "refund" }],
    ["zero and numeric strings", { tool: "cloud.ops", arguments: { estimated_cost_usd: 0, amount_cents: "250" } }, { estimated_cost_usd: 0, amount_cents: "250" }],
  ])("%s is accepted", (_label, body, args) => {
    const r = answer(body);
    expect(r).toMatchObject({ ok: true, call: { arguments: args } });
  });
});
