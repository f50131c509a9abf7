import { afterEach, describe, expect, test, vi } from "vitest";
import { PolicyApiError, policyApi } from "./policy-api";

// The studio's client checks every answer against its route's response schema: a server (or a proxy)
// answering something else is a clear error, not a page drawn from a guessed shape.
const answer = (status: number, body: unknown) => vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }));

afterEach(() => vi.unstubAllGlobals());

const validation = { ok: true, errors: [], rules: 3, hash: "a".repeat(64), semantic_hash: "b".repeat(64) };

describe("policyApi answers are checked against the response schemas", () => {
  test("a well-formed answer is returned as sent", async () => {
    vi.stubGlobal("fetch", answer(200, validation));
    expect(await policyApi.validate("version: 1")).toEqual(validation);
  });

  test.each([
    ["a field of the wrong type", { ...validation, ok: "yes" }, /\/api\/v1\/policy\/validate does not match its schema: ok:/],
    ["a missing list", { ok: false }, /does not match its schema: errors:/],
    ["not an object at all", ["surprise"], /does not match its schema: \(root\):/],
  ])("%s is a PolicyApiError naming the route and the field", async (_label, body, message) => {
    vi.stubGlobal("fetch", answer(200, body));
    const err = await policyApi.validate("version: 1").then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyApiError);
    expect((err as PolicyApiError).code).toBe("unexpected_answer");
    expect((err as PolicyApiError).message).toMatch(message);
  });

  test("a refusal keeps the envelope's status, code and message", async () => {
    vi.stubGlobal("fetch", answer(403, { error: { code: "forbidden", message: "needs policies.write" } }));
    const err = (await policyApi.validate("x").catch((e: unknown) => e)) as PolicyApiError;
    expect({ status: err.status, code: err.code, message: err.message }).toEqual({ status: 403, code: "forbidden", message: "needs policies.write" });
  });
});
