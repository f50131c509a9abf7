import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DEFAULT_REDACT_KEYS, isSensitiveKey, keyWords, parseRedactKeys } from "./redact-keys";
import { parseValuePatterns } from "./redact-values";
import { MAX_REDACT_DEPTH, redact, redactionConfig, redactionHmac, Redactor, tenantRedactionKey } from "./redact";

const SECRET = "server-secret-0123456789";
const defaults = parseRedactKeys();
const config = redactionConfig();
const keyA = tenantRedactionKey(SECRET, "acme");
const keyB = tenantRedactionKey(SECRET, "globex");
const redactor = new Redactor(SECRET, config);
const text = (s: string, tenant = "acme") => redactor.scope(tenant).text(s);
const MARKER = /\[redacted:([a-z_]+):([0-9a-f]{12})\]/g;

describe("sensitive keys (default AUDIT_REDACT_KEYS)", () => {
  test.each([
    // passwords
    ["password", true], ["Password", true], ["db_password", true], ["userPassword2", true], ["passwd", true],
    ["pwd", true], ["DB_PWD", true], ["passphrase", true], ["ssh-passphrase", true], ["smtp_pass", true],
    // secrets and tokens
    ["secret", true], ["client_secret", true], ["clientSecret", true], ["token", true], ["access_token", true],
    ["refreshToken", true], ["id_token", true], ["x-auth-token", true], ["accesstoken", true], ["csrftoken", true],
    ["X-Amz-Security-Token", true], ["session-token", true],
    // keys
    ["api_key", true], ["apikey", true], ["apiKey", true], ["API-KEY", true], ["x-api-key", true], ["api_keys", true],
    ["access_key", true], ["aws_access_key_id", true], ["AWS_SECRET_ACCESS_KEY", true], ["accessKeyId", true],
    ["private_key", true], ["privateKeyPem", true], ["ssh_key", true], ["sshKeys", true],
    // auth headers, cookies, sessions, credentials
    ["auth", true], ["Auth", true], ["basic_auth", true], ["authorization", true], ["Proxy-Authorization", true],
    ["HTTPAuthHeader", true], ["cookie", true], ["Set-Cookie", true], ["cookies", true], ["session_id", true],
    ["sessionid", true], ["sessionId", true], ["JSESSIONID", true], ["PHPSESSID", true], ["credential", true],
    ["credentials", true], ["aws.credentials", true], ["bearer", true], ["bearer_token", true],
    // ordinary keys
    ["author", false], ["authority", false], ["authors", false], ["oauth_provider_name", false], ["oauth", false],
    ["tokens_used", false], ["max_tokens", false], ["maxTokens", false], ["input_tokens", false], ["token_count", false],
    ["token_type", false], ["tokenizer", false], ["session", false], ["session_name", false], ["path", false],
    ["content", false], ["description", false], ["key", false], ["keyboard", false], ["passage", false],
    ["bypass", false], ["compass", false], ["url", false], ["headers", false], ["monkey", false],
    // a known over-redaction of `*secret*`, accepted: a missed secret costs more than a hidden name
    ["secretary_name", true],
  ] as const)("%s → %s", (key, sensitive) => {
    expect(isSensitiveKey(key, defaults)).toBe(sensitive);
  });

  test.each([
    ["apiKey", ["api", "key"]],
    ["HTTPAuthHeader", ["http", "auth", "header"]],
    ["aws_access_key_id", ["aws", "access", "key", "id"]],
    ["x-api-key", ["x", "api", "key"]],
    ["oauth2Token", ["oauth2", "token"]],
    ["headers.Authorization", ["headers", "authorization"]],
  ])("words of %s", (key, words) => {
    expect(keyWords(key)).toEqual(words);
  });

  test("the syntax: word boundaries, * at either end, ! exceptions, + extends the defaults", () => {
    const rules = parseRedactKeys("auth,*token,access_key*,*secret*,!token_type");
    expect(["auth", "x-auth", "csrftoken", "accesskeyid", "mysecretvalue"].every((k) => isSensitiveKey(k, rules))).toBe(true);
    expect(["author", "oauth", "tokens", "my_access", "token_type", "password"].some((k) => isSensitiveKey(k, rules))).toBe(false);
    const extended = parseRedactKeys("+customer_ssn, iban*");
    expect(isSensitiveKey("customer_ssn", extended) && isSensitiveKey("ibanNumber", extended) && isSensitiveKey("password", extended)).toBe(true);
    const replaced = parseRedactKeys("customer_ssn");
    expect(isSensitiveKey("password", replaced)).toBe(false);
  });

  test("the previous default list still parses, now on word boundaries", () => {
    const old = parseRedactKeys("password,passwd,token,secret,authorization,api_key,private_key,cookie,credential");
    expect(isSensitiveKey("password", old) && isSensitiveKey("access_token", old) && isSensitiveKey("x-api-key", old)).toBe(true);
    expect(isSensitiveKey("tokens_used", old)).toBe(false);
  });

  test.each([
    ["", /empty/],
    ["!token_type", /only exceptions/],
    ["pass word!", /not a key pattern/],
    ["a/b", /not a key pattern/],
    ["x".repeat(65), /longer than 64/],
    [Array.from({ length: 201 }, (_, i) => `k${i}`).join(","), /at most 200/],
  ])("refuses %j", (spec, message) => {
    expect(() => parseRedactKeys(spec)).toThrow(message);
  });

  test("the default list is its own documented constant", () => {
    expect(DEFAULT_REDACT_KEYS.split(",").length).toBeGreaterThan(20);
  });
});

describe("secrets found by their shape", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
  const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabcDEF+/=\n-----END RSA PRIVATE KEY-----";
  test.each([
    ["url password", "fetch https://bob:s3cret@api.internal.com/x now", "s3cret", "url_password", "fetch https://bob:[redacted:url_password:"],
    ["url password with @ inside", "postgres://app:p@ss:w0rd@db.internal:5432/app", "p@ss:w0rd", "url_password", "@db.internal:5432/app"],
    ["bearer header", "Authorization: Bearer abc.def.ghi", "abc.def.ghi", "bearer", "Authorization: "],
    ["bearer, lower case", "curl -H 'authorization: bearer 9f8e7d6c5b4a39281706'", "9f8e7d6c5b4a39281706", "bearer", "curl -H 'authorization: "],
    ["basic credentials", "Authorization: Basic Ym9iOmh1bnRlcjI=", "Ym9iOmh1bnRlcjI=", "basic_auth", "Authorization: "],
    ["PEM private key", `key:\n${pem}\nend`, "MIIEpAIBAAKCAQEA7", "private_key", "key:\n[redacted:private_key:"],
    ["PEM key without its END line", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "private_key", ""],
    ["JWT", `token was ${jwt} yesterday`, jwt, "jwt", "token was [redacted:jwt:"],
    ["AWS access key id", "aws configure set aws_access_key_id_value AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws_access_key_id", "aws configure set"],
    ["AWS temporary key id", "ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A", "aws_access_key_id", ""],
    ["Slack bot token", "use xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "slack_token", "use "],
    ["Slack webhook", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX", "T000/B000/XXXXXXXXXXXXXXXX", "slack_webhook", "https://hooks.slack.com/services/"],
    ["GitHub classic token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "github_token", ""],
    ["GitHub fine-grained token", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789", "github_token", ""],
    ["Stripe secret key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key", ""],
    ["Google API key", "key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "google_api_key", "key="],
    ["query string", "GET /cb?state=x&access_token=opaque-value-1&next=/", "opaque-value-1", "key_value", "GET /cb?state=x&access_token="],
    ["assignment in a note", "reset done, password=hunter2 now", "hunter2", "key_value", "reset done, password="],
    ["YAML-ish", "pwd: hunter2", "hunter2", "key_value", "pwd: "],
    ["JSON inside a string", '{"user":"bob","client_secret":"s3cr3t \\"quoted\\""}', 's3cr3t \\"quoted\\"', "key_value", '{"user":"bob","client_secret":"'],
    ["command-line flag", "mysql --password=Tr0ub4dor -h db", "Tr0ub4dor", "key_value", "mysql --password="],
    ["connection string", "Server=db;User Id=app;Password=Pa55word;", "Pa55word", "key_value", "Server=db;User Id=app;Password="],
  ])("%s", (_name, input, secret, kind, kept) => {
    const out = text(input);
    expect(out).not.toContain(secret);
    expect([...out.matchAll(MARKER)].map((m) => m[1])).toContain(kind);
    expect(out).toContain(kept);
  });

  test.each([
    "https://api.internal.com:8443/x?page=2",
    "mailto:bob@example.com",
    "Bearer authentication is described in RFC 6750.",
    "Basic authentication sends credentials in a header.",
    "The eyJ prefix starts many JWTs",
    "AKIA is how access key ids start",
    "tokens_used: 1234, max_tokens=4096, author: Ada",
    "meeting at 10:30, ratio 16:9, a=b",
    "auth: true",
    "/sandbox/out/report.csv",
    "",
  ])("leaves %j alone", (input) => {
    expect(text(input)).toBe(input);
  });

  test("equal secrets correlate within a tenant, never across tenants; a marker is the key-redacted HMAC's prefix", () => {
    const a1 = text("https://bob:s3cret@a.example/");
    const a2 = text("ftp://alice:s3cret@b.example/");
    const b1 = text("https://bob:s3cret@a.example/", "globex");
    const m = (s: string) => [...s.matchAll(MARKER)][0][2];
    expect(m(a1)).toBe(m(a2));
    expect(m(a1)).not.toBe(m(b1));
    const byKey = redact({ pwd: "s3cret" }, config, keyA) as { pwd: { hmac: string } };
    expect(byKey.pwd.hmac.slice(0, 12)).toBe(m(a1));
    expect((redact({ pwd: "s3cret" }, config, keyB) as { pwd: { hmac: string } }).pwd.hmac.slice(0, 12)).toBe(m(b1));
  });

  test("property: a secret embedded anywhere in random text never survives", () => {
    const secrets = fc.constantFrom(
      { make: (s: string) => `https://u:${s}@h.example/p`, secret: (s: string) => s },
      { make: (s: string) => `Bearer ${s}9.x`, secret: (s: string) => `${s}9.x` },
      { make: (s: string) => `password=${s}`, secret: (s: string) => s },
      { make: (s: string) => `"api_key": "${s}"`, secret: (s: string) => s },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9]{8,24}$/), secrets, (before, after, raw, shape) => {
        const input = `${before} ${shape.make(raw)} ${after}`;
        const out = text(input);
        return !out.includes(shape.secret(raw)) || before.includes(shape.secret(raw)) || after.includes(shape.secret(raw));
      }),
      { numRuns: 300 },
    );
  });

  test("long adversarial strings are scanned in full, in linear time", () => {
    const tail = " password=hunter2";
    for (const body of ["a".repeat(1_000_000), "eyJ".repeat(333_334), "password=".repeat(110_000), "https://a:".repeat(100_000), "bearer ".repeat(140_000)]) {
      const started = performance.now();
      const out = text(body + tail);
      const ms = performance.now() - started;
      expect(out.endsWith(tail), `the secret at the end of ${body.slice(0, 12)}… was found`).toBe(false);
      expect(ms, `${body.slice(0, 12)}… took ${ms} ms`).toBeLessThan(5_000);
    }
  });
});

describe("structured redaction", () => {
  test("masks values under sensitive keys and secrets inside strings; leaves the rest; does not modify the input", () => {
    const input = {
      path: "/x",
      pwd: "hunter2",
      url: "https://bob:s3cret@api.internal.com/x",
      headers: { Authorization: "Bearer abc.def.ghi", accept: "application/json" },
      nested: { apiKey: { v: 1 } },
      list: [{ token: "t0k" }, 3, "AKIAIOSFODNN7EXAMPLE"],
      n: null,
      max_tokens: 4096,
    };
    const out = redact(input, config, keyA) as Record<string, unknown>;
    const json = JSON.stringify(out);
    expect(json).not.toMatch(/hunter2|s3cret|abc\.def\.ghi|t0k|AKIAIOSFODNN7EXAMPLE/);
    expect(out).toMatchObject({
      path: "/x",
      n: null,
      max_tokens: 4096,
      pwd: { redacted: true, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) },
      url: expect.stringMatching(/^https:\/\/bob:\[redacted:url_password:[0-9a-f]{12}\]@api\.internal\.com\/x$/),
      headers: { Authorization: { redacted: true }, accept: "application/json" },
      nested: { apiKey: { redacted: true } },
      list: [{ token: { redacted: true } }, 3, expect.stringMatching(/^\[redacted:aws_access_key_id:/)],
    });
    expect(input.pwd).toBe("hunter2");
  });

  test("a secret seen under a sensitive key is masked where the same record echoes it (a trace, a summary)", () => {
    const scope = redactor.scope("acme").remember({ pwd: "hunter2" });
    const trace = scope.value({ conditions: [{ condition: "params", actual: ['pwd: "hunter2" not in allowlist'] }] });
    expect(JSON.stringify(trace)).not.toContain("hunter2");
    expect(scope.text("rotate hunter2 tonight")).toMatch(/^rotate \[redacted:secret:[0-9a-f]{12}\] tonight$/);
    // An echo comes before its source in key order: value() learns the whole value first.
    expect(JSON.stringify(redactor.scope("acme").value({ a_note: "uses hunter2", pwd: "hunter2" }))).not.toContain("hunter2");
    // Short values are masked where they sit, but not searched for elsewhere (they would mask ordinary words).
    expect(redactor.scope("acme").remember({ pwd: "on" }).text("turn it on")).toBe("turn it on");
  });

  test("equal secrets correlate within a tenant, never across tenants", () => {
    type R = { password: { hmac: string } };
    const a1 = redact({ password: "hunter2" }, config, keyA) as R;
    const a2 = redact({ token: "hunter2" }, config, keyA) as { token: { hmac: string } };
    const a3 = redact({ password: "other" }, config, keyA) as R;
    const b1 = redact({ password: "hunter2" }, config, keyB) as R;
    expect(a1.password.hmac).toBe(a2.token.hmac);
    expect(a1.password.hmac).toBe(redactionHmac(keyA, "hunter2"));
    expect(a1.password.hmac).not.toBe(a3.password.hmac);
    expect(a1.password.hmac).not.toBe(b1.password.hmac);
  });

  test("a subtree nested deeper than the bound is masked whole, without recursion trouble", () => {
    let deep: unknown = { password: "hunter2", note: "x" };
    for (let i = 0; i < 5_000; i++) deep = { d: deep };
    const out = JSON.stringify(redact(deep, config, keyA));
    expect(out).not.toContain("hunter2");
    expect(out).toContain(`nested deeper than ${MAX_REDACT_DEPTH} levels`);
  });
});

describe("configured value patterns (AUDIT_REDACT_VALUE_PATTERNS)", () => {
  test("strings and {kind, pattern}; a (?P<secret>…) group limits what is redacted", () => {
    const patterns = parseValuePatterns(JSON.stringify(["\\bEMP-[0-9]{6}\\b", { kind: "iban", pattern: "IBAN (?P<secret>[A-Z]{2}[0-9]{20})" }]));
    const r = new Redactor(SECRET, { ...config, values: [...config.values, ...patterns] });
    const out = r.scope("acme").text("employee EMP-123456 pays to IBAN DE89370400440532013000");
    expect(out).toMatch(/^employee \[redacted:custom:[0-9a-f]{12}\] pays to IBAN \[redacted:iban:[0-9a-f]{12}\]$/);
  });

  test("run in linear time: a catastrophic-backtracking pattern stays fast", () => {
    const [p] = parseValuePatterns(JSON.stringify(["^(a+)+$"]));
    const r = new Redactor(SECRET, { ...config, values: [p] });
    const started = performance.now();
    r.scope("acme").text(`${"a".repeat(50_000)}!`);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test.each([
    ["not json", /JSON array/],
    ['{"pattern":"x"}', /JSON array/],
    [JSON.stringify(["(unclosed"]), /pattern \[0\].*missing closing/],
    [JSON.stringify(["(?=lookahead)x"]), /pattern \[0\].*RE2 syntax/],
    [JSON.stringify(["a*"]), /empty string/],
    [JSON.stringify([{ kind: "Bad Kind", pattern: "x" }]), /kind/],
    [JSON.stringify(["x".repeat(513)]), /512/],
    [JSON.stringify(Array.from({ length: 33 }, (_, i) => `p${i}`)), /at most 32/],
  ])("refuses %s", (spec, message) => {
    expect(() => parseValuePatterns(spec)).toThrow(message);
  });

  test("unset or blank: none", () => {
    expect(parseValuePatterns(undefined)).toEqual([]);
    expect(parseValuePatterns("  ")).toEqual([]);
  });
});
