import { expect, test } from "@playwright/test";
import { cliToken } from "./helpers";
import { newTenant } from "./security/kit";

test("health is public and reports every dependency", async ({ request }) => {
  for (const path of ["/api/health", "/health"]) {
    const res = await request.get(path);
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.status).toBe("ok");
    expect(Object.keys(body.checks).sort()).toEqual(["audit", "db", "migrations", "policy", "redis"]);
  }
});

test("API calls without a token get 401 in the error envelope", async ({ request }) => {
  const res = await request.post("/v1/policy/simulate", { data: { tool: "fs.write", arguments: {} } });
  expect(res.status()).toBe(401);
  expect((await res.json()).error.code).toBe("unauthorized");
});

test("seed 000 §6B: policy simulator with a token minted by `npx canopy mint-token` (§6C)", async ({ request }) => {
  const token = cliToken({ roles: "admin,approver", ttl: 7200 });
  const res = await request.post("/v1/policy/simulate", {
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    data: { tool: "cloud.ops", arguments: { provider: "aws", resource: "ec2", action: "run_instances", estimated_cost_usd: 75 } },
  });
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.decision.decision).toBe("approval");
  expect(body.decision.trace.length).toBeGreaterThan(0);
});

test("policy validation reports line and column", async ({ request }) => {
  const token = cliToken({ roles: "policy_author" });
  const res = await request.post("/api/v1/policy/validate", {
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/yaml" },
    data: "version: 1\nrules:\n  - name: a\n    match: x\n    action: aprove\n",
  });
  const body = await res.json();
  expect(body.ok).toBe(false);
  expect(body.errors[0]).toMatchObject({ line: 5 });
});

test("a token for another tenant cannot simulate for this one", async ({ request }) => {
  const token = cliToken({ tenant: await newTenant(request, "other"), roles: "admin" });
  const res = await request.post("/v1/policy/simulate", {
    headers: { Authorization: `Bearer ${token}` },
    data: { tool: "fs.read", arguments: {}, tenant: "demo-tenant" },
  });
  expect(res.status()).toBe(403);
});

test("the OpenAPI document describes the API with the bearer scheme", async ({ request }) => {
  const res = await request.get("/api/openapi.json");
  const doc = await res.json();
  expect(doc.openapi).toBe("3.1.0");
  expect(doc.paths["/api/v1/policy/simulate"].post).toBeTruthy();
  expect(doc.components.securitySchemes.bearerAuth.scheme).toBe("bearer");
});

test("an unknown API path answers 404 in the error envelope", async ({ request }) => {
  const res = await request.post("/v1/no-such-thing", { data: {} });
  expect(res.status()).toBe(404);
  expect((await res.json()).error).toMatchObject({ code: "not_found", message: expect.stringMatching(/openapi\.json/) });
});
