import { describe, expect, test } from "vitest";
import { EnvError, parseEnv } from "./env";

function problems(source: Record<string, string>): string[] {
  try {
    parseEnv(source);
    return [];
  } catch (e) {
    if (e instanceof EnvError) return e.problems;
    throw e;
  }
}

describe("parseEnv", () => {
  test("defaults with nothing set: embedded database, in-process redis", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.CANOPY_DATA_DIR).toBe(".data");
    expect(env.APPROVAL_SYNC_WAIT_MS).toBe(0);
    expect(env.POLICY_REQUIRE_SIGNATURE).toBe(false);
  });

  test.each([
    ["INFO", "info"],
    ["Debug", "debug"],
    ["WARNING", "warn"],
    ["silent", "silent"],
  ])("LOG_LEVEL=%s is %s (any case, as seed 004 writes it)", (given, level) => {
    expect(parseEnv({ LOG_LEVEL: given }).LOG_LEVEL).toBe(level);
  });

  test("LOG_LEVEL=verbose is refused naming the levels", () => {
    expect(problems({ LOG_LEVEL: "verbose" }).join("\n")).toMatch(/LOG_LEVEL: .*(fatal|info)/);
  });

  test("empty strings count as unset", () => {
    expect(parseEnv({ DATABASE_URL: "", REDIS_URL: "" }).DATABASE_URL).toBeUndefined();
  });

  test.each([
    ["DATABASE_URL", "mysql://x", /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL \(got "mysql:\/\/x"\)/],
    ["REDIS_URL", "localhost:6379", /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/],
    ["APPROVAL_SYNC_WAIT_MS", "soon", /APPROVAL_SYNC_WAIT_MS/],
    ["APPROVAL_SYNC_WAIT_MS", "-1", /APPROVAL_SYNC_WAIT_MS/],
    ["POLICY_REQUIRE_SIGNATURE", "maybe", /POLICY_REQUIRE_SIGNATURE/],
    ["CANOPY_DEMO_TENANT", "Demo Tenant", /CANOPY_DEMO_TENANT: expected a lowercase slug/],
    ["NEXTAUTH_SECRET", "short", /NEXTAUTH_SECRET: expected at least 32 characters \(got "\*\*\*"\)/],
    ["UPSTREAM_PRIVATE_ALLOWLIST", "10.0.0.0/8,10.0.0.0/33", /UPSTREAM_PRIVATE_ALLOWLIST: cannot read "10\.0\.0\.0\/33": expected addresses, CIDRs/],
    ["AUDIT_REDACT_KEYS", "password,pass word!", /AUDIT_REDACT_KEYS: "pass word!" is not a key pattern/],
    ["AUDIT_REDACT_VALUE_PATTERNS", '["(unclosed"]', /AUDIT_REDACT_VALUE_PATTERNS: pattern \[0\].*missing closing/],
    ["AUDIT_REDACT_VALUE_PATTERNS", '["^(a+)+$", "x*"]', /AUDIT_REDACT_VALUE_PATTERNS: pattern \[1\].*empty string/],
  ])("%s=%s is refused with a message naming it", (key, value, pattern) => {
    const found = problems({ [key]: value });
    expect(found.join("\n")).toMatch(pattern);
  });

  test.each([
    ["CANOPY_JWT_PUBLIC_KEY alone", { CANOPY_JWT_PUBLIC_KEY: "x" }, /CANOPY_JWT_PRIVATE_KEY.*set without/],
    ["CANOPY_AUDIT_PUBLIC_KEY alone", { CANOPY_AUDIT_PUBLIC_KEY: "x" }, /CANOPY_AUDIT_PRIVATE_KEY.*set without/],
  ])("%s is refused (a public key verifies nothing we sign)", (_label, source, message) => {
    expect(problems(source as Record<string, string>).join("\n")).toMatch(message);
  });

  test("a private key alone is accepted (the public key is derived)", () => {
    expect(problems({ CANOPY_JWT_PRIVATE_KEY: "k", CANOPY_AUDIT_PRIVATE_KEY: "k" })).toEqual([]);
  });

  test("OIDC settings must come together", () => {
    const found = problems({ OIDC_ISSUER: "https://id.example.com" });
    expect(found).toHaveLength(2);
    expect(found.join("\n")).toMatch(/OIDC_CLIENT_ID/);
  });

  test("every problem is reported at once", () => {
    expect(problems({ DATABASE_URL: "x", REDIS_URL: "y" })).toHaveLength(2);
  });

  test("valid values parse to their types", () => {
    const env = parseEnv({ APPROVAL_SYNC_WAIT_MS: "20000", POLICY_REQUIRE_SIGNATURE: "true", DATABASE_URL: "postgresql://u@h:5432/d" });
    expect(env.APPROVAL_SYNC_WAIT_MS).toBe(20000);
    expect(env.POLICY_REQUIRE_SIGNATURE).toBe(true);
  });
});
