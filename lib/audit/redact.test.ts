import { describe, expect, test } from "vitest";
import { isSensitiveKey, parseRedactKeys, redact, tenantRedactionKey } from "./redact";

const patterns = parseRedactKeys("password,token,secret,authorization,api_key");
const keyA = tenantRedactionKey("server-secret-0123456789", "acme");
const keyB = tenantRedactionKey("server-secret-0123456789", "globex");

describe("redaction", () => {
  test.each([
    ["password", true], ["Password", true], ["db_password", true], ["access_token", true], ["refreshToken", true],
    ["client_secret", true], ["Authorization", true], ["apiKey", true], ["API-KEY", true], ["x-api-key", true],
    ["path", false], ["content", false], ["tokens_used", true], ["author", false], ["key", false],
  ] as const)("key %s sensitive: %s", (key, sensitive) => {
    expect(isSensitiveKey(key, patterns)).toBe(sensitive);
  });

  test("masks nested values in objects and arrays, leaves the rest, does not modify the input", () => {
    const input = { path: "/x", password: "hunter2", nested: { apiKey: { v: 1 } }, list: [{ token: "t0k" }, 3], n: null };
    const out = redact(input, patterns, keyA) as { path: string; n: null; password: unknown; nested: { apiKey: { redacted: boolean } }; list: [{ token: { redacted: boolean } }, number] };
    expect(out.path).toBe("/x");
    expect(out.n).toBeNull();
    expect(out.password).toEqual({ redacted: true, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(out.nested.apiKey.redacted).toBe(true);
    expect(out.list[0].token.redacted).toBe(true);
    expect(out.list[1]).toBe(3);
    expect(JSON.stringify(out)).not.toMatch(/hunter2|t0k/);
    expect(input.password).toBe("hunter2");
  });

  test("equal secrets correlate within a tenant, never across tenants", () => {
    type R = { password: { hmac: string } };
    const a1 = redact({ password: "hunter2" }, patterns, keyA) as R;
    const a2 = redact({ token: "hunter2" }, patterns, keyA) as { token: { hmac: string } };
    const a3 = redact({ password: "other" }, patterns, keyA) as R;
    const b1 = redact({ password: "hunter2" }, patterns, keyB) as R;
    expect(a1.password.hmac).toBe(a2.token.hmac);
    expect(a1.password.hmac).not.toBe(a3.password.hmac);
    expect(a1.password.hmac).not.toBe(b1.password.hmac);
  });
});
