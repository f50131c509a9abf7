import { createHmac } from "node:crypto";
import { describe, expect, test } from "vitest";
import { isoSeconds, signDecision, verifyDecision } from "./signature";

const SECRET = "your-hmac-secret";
const EXPIRES = Date.UTC(2025, 9, 17, 11, 30, 0);
const hmac = (msg: string) => createHmac("sha256", SECRET).update(msg).digest("hex");

describe("seed 003 decision signatures", () => {
  test.each([
    ["the API's own spelling (…Z)", `appr_abc123:approved:user@company.com:2025-10-17T11:30:00Z`, true],
    ["seed 003's Python recipe (isoformat: …+00:00)", `appr_abc123:approved:user@company.com:2025-10-17T11:30:00+00:00`, true],
    ["another instant", `appr_abc123:approved:user@company.com:2025-10-17T11:30:01+00:00`, false],
    ["the same wall time in another zone", `appr_abc123:approved:user@company.com:2025-10-17T11:30:00+02:00`, false],
    ["milliseconds", `appr_abc123:approved:user@company.com:2025-10-17T11:30:00.000Z`, false],
    ["a naive timestamp (no zone)", `appr_abc123:approved:user@company.com:2025-10-17T11:30:00`, false],
    ["another decision", `appr_abc123:rejected:user@company.com:2025-10-17T11:30:00Z`, false],
  ])("%s verifies: %s", (_label, message, valid) => {
    expect(verifyDecision(SECRET, "appr_abc123", "approved", "user@company.com", EXPIRES, hmac(message))).toBe(valid);
  });

  test("the server signs the canonical spelling", () => {
    expect(isoSeconds(EXPIRES)).toBe("2025-10-17T11:30:00Z");
    expect(signDecision(SECRET, "appr_abc123", "approved", "user@company.com", EXPIRES)).toBe(hmac("appr_abc123:approved:user@company.com:2025-10-17T11:30:00Z"));
  });

  test.each([["not hex", "zz".repeat(32)], ["too short", "ab"], ["a number", 42], ["missing", undefined]])("%s is refused", (_label, sig) => {
    expect(verifyDecision(SECRET, "appr_abc123", "approved", "user@company.com", EXPIRES, sig)).toBe(false);
  });
});
