import { afterAll, afterEach, describe, expect, test } from "vitest";
import type { Principal } from "@/lib/auth/principal";
import { checkSameOrigin as checkOrigin } from "@/lib/auth/same-origin";
import { env, publicUrl, resetEnvForTests } from "@/lib/env";
import { createServices } from "./services";
import { installTestServices } from "./testing";
import { withAuth } from "./with-auth";

// The credential kind is what decides: a fake authenticator returns a session or a token principal.
let principal: Principal;
const restoreServices = installTestServices(
  createServices(env(), {
    db: () => Promise.reject(new Error("this test opens no database")),
    auth: { authenticate: async () => principal, principalFromBearer: async () => principal, principalFromSession: async () => principal } }),
);
afterAll(() => restoreServices());
const checkSameOrigin = (req: Request) => checkOrigin(req, publicUrl());

let reached = 0;
const handler = withAuth("audit.note", async () => {
  reached++;
  return { ok: true };
});

const session: Principal = { kind: "session", tenant: "t1", subject: "admin", roles: ["admin"] };
const token: Principal = { kind: "token", tenant: "t1", subject: "agent", roles: ["admin"] };

async function send(p: Principal, method: string, headers: Record<string, string>) {
  principal = p;
  reached = 0;
  const res = await handler(new Request("https://canopy.example.com/api/v1/audit", { method, headers, body: method === "GET" ? undefined : "{}" }), { params: Promise.resolve({}) });
  return { status: res.status, body: await res.json(), reached };
}

afterEach(() => {
  delete process.env.NEXTAUTH_URL;
  resetEnvForTests();
});

describe("CSRF: console-session writes must come from this site", () => {
  test.each([
    ["no Origin, no Referer", {}],
    ["Origin of another site", { origin: "https://evil.example" }],
    ["Origin null (sandboxed iframe, file:)", { origin: "null" }],
    ["Referer of another site", { referer: "https://evil.example/page" }],
    ["same Origin but Sec-Fetch-Site: cross-site", { origin: "https://canopy.example.com", "sec-fetch-site": "cross-site" }],
    ["a lookalike origin", { origin: "https://canopy.example.com.evil.example" }],
    ["same host, other scheme", { origin: "http://canopy.example.com" }],
  ])("session POST with %s: 403 csrf_rejected, handler not reached", async (_label, headers) => {
    const r = await send(session, "POST", headers);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: "csrf_rejected", message: expect.stringMatching(/^cross-site request refused: /) });
    expect(r.reached).toBe(0);
  });

  test.each(["PUT", "PATCH", "DELETE"])("session %s from another site is refused too", async (method) => {
    expect((await send(session, method, { origin: "https://evil.example" })).status).toBe(403);
  });

  test.each([
    ["same Origin", { origin: "https://canopy.example.com" }],
    ["same-origin Referer when no Origin is sent", { referer: "https://canopy.example.com/approvals?id=1" }],
    ["Sec-Fetch-Site: same-origin", { origin: "https://canopy.example.com", "sec-fetch-site": "same-origin" }],
  ])("session POST with %s: allowed", async (_label, headers) => {
    const r = await send(session, "POST", headers);
    expect(r.status).toBe(200);
    expect(r.reached).toBe(1);
  });

  test("the console's public URL (NEXTAUTH_URL) counts as this site behind a proxy", async () => {
    process.env.NEXTAUTH_URL = "https://console.example.org/";
    resetEnvForTests();
    expect((await send(session, "POST", { origin: "https://console.example.org" })).status).toBe(200);
    expect((await send(session, "POST", { origin: "https://other.example.org" })).status).toBe(403);
  });

  test("safe methods are not checked", async () => {
    expect((await send(session, "GET", { origin: "https://evil.example", "sec-fetch-site": "cross-site" })).status).toBe(200);
  });

  test("bearer-token requests are not affected", async () => {
    const r = await send(token, "POST", { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(r.status).toBe(200);
    expect(r.reached).toBe(1);
  });

  test("checkSameOrigin alone ignores GET and HEAD", () => {
    expect(() => checkSameOrigin(new Request("https://a.example/x", { method: "HEAD", headers: { origin: "https://b.example" } }))).not.toThrow();
  });
});
