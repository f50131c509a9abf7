import { createHmac } from "node:crypto";
import { expect, test } from "@playwright/test";
import { bearer, expectEnvelope, hmacSecret, newTenant, putMember, token } from "../security/kit";

/**
 * Seed 003 ("Approval Workflows Runbook"): request, custom expiration, approve and reject with the
 * HMAC signature of its formula (both the API's `…Z` and Python's `…+00:00` spellings of
 * expires_at), verify, expiry, and the troubleshooting answers. Not supported, by design (README
 * "Seed examples"): "Extend expiration" — expires_at is a signed field; a new approval is the way.
 */

const APPROVER = "user@company.com";
const sign = (id: string, decision: string, approver: string, expiresAt: string) => createHmac("sha256", hmacSecret()).update(`${id}:${decision}:${approver}:${expiresAt}`).digest("hex");

test.describe("seed 003 approval workflows", () => {
  let tenant: string;
  let agent: string;
  let approver: string;
  test.beforeAll(async ({ request }) => {
    tenant = await newTenant(request, "runbook");
    expect((await putMember(request, tenant, APPROVER, { roles: ["approver"] })).status()).toBe(200);
    agent = token(tenant, "knowledge_update", "agent");
    approver = token(tenant, APPROVER, "approver");
  });

  const basic = { agent: "knowledge_update", action: "apply", context: { file: "config/production.yaml", changes_count: 1500, risk_score: 85 }, reason: "Large configuration change for production deployment" };

  test("1. Basic Request → pending, one hour, the seed's fields", async ({ request }) => {
    const res = await request.post("/api/v1/approvals", { headers: bearer(agent), data: basic });
    expect(res.status()).toBe(201);
    const a = await res.json();
    expect(a).toMatchObject({ id: expect.stringMatching(/^appr_/), status: "pending", agent: "knowledge_update", action: "apply", context: basic.context, reason: basic.reason });
    expect(Date.parse(a.expires_at) - Date.parse(a.requested_at)).toBeGreaterThan(3599_000);
    expect(Date.parse(a.expires_at) - Date.parse(a.requested_at)).toBeLessThanOrEqual(3600_000);
  });

  test("2. With Custom Expiration: expires_in_seconds 7200", async ({ request }) => {
    const a = await (await request.post("/api/v1/approvals", { headers: bearer(agent), data: { agent: "inbox_triage", action: "quarantine", context: { email_id: "email_123", risk_score: 92 }, reason: "High-risk email quarantine", expires_in_seconds: 7200 } })).json();
    expect(Date.parse(a.expires_at) - Date.parse(a.requested_at)).toBeGreaterThan(7199_000);
  });

  test("Approve with the signature of the formula; verify it; a second decision is refused; Approval Not Found", async ({ request }) => {
    const a = await (await request.post("/api/v1/approvals", { headers: bearer(agent), data: basic })).json();
    const signature = sign(a.id, "approved", APPROVER, a.expires_at);
    const res = await request.post(`/api/v1/approvals/${a.id}/approve`, { headers: bearer(approver), data: { decision: "approved", approver: APPROVER, comment: "Reviewed changes - looks safe", signature } });
    expect(res.status(), await res.text()).toBe(200);
    expect(await res.json()).toMatchObject({ id: a.id, status: "approved", decision: "approved", approver: APPROVER, comment: "Reviewed changes - looks safe", signature, approved_at: expect.any(String) });

    // Signature Verification: valid, and the documented invalid answer.
    expect(await (await request.post(`/api/v1/approvals/${a.id}/verify`, { headers: bearer(approver), data: { signature } })).json()).toEqual({
      valid: true,
      approval: { id: a.id, status: "approved", decision: "approved", approver: APPROVER, expires_at: a.expires_at },
    });
    expect(await (await request.post(`/api/v1/approvals/${a.id}/verify`, { headers: bearer(approver), data: { signature: "a3f7c2d1e5b8".padEnd(64, "0") } })).json()).toEqual({ valid: false, error: "Invalid signature" });

    // Troubleshooting: "Cannot Approve Twice" (already decided) and "Approval Not Found".
    await expectEnvelope(await request.post(`/api/v1/approvals/${a.id}/approve`, { headers: bearer(approver), data: { decision: "rejected", approver: APPROVER, signature: sign(a.id, "rejected", APPROVER, a.expires_at) } }), 409);
    await expectEnvelope(await request.get("/api/v1/approvals/appr_abc123nothere", { headers: bearer(approver) }), 404, "not_found");
  });

  test("Reject, signed as the runbook's Python CLI helper does (expires_at as isoformat: …+00:00)", async ({ request }) => {
    const a = await (await request.post("/api/v1/approvals", { headers: bearer(agent), data: basic })).json();
    const python = a.expires_at.replace(/Z$/, "+00:00");
    const res = await request.post(`/api/v1/approvals/${a.id}/approve`, { headers: bearer(approver), data: { decision: "rejected", approver: APPROVER, comment: "Changes too risky - needs redesign", signature: sign(a.id, "rejected", APPROVER, python) } });
    expect(res.status(), await res.text()).toBe(200);
    expect((await res.json()).status).toBe("rejected");
  });

  test("Invalid Signature (another instant, a naive timestamp) is 403 invalid_signature", async ({ request }) => {
    const a = await (await request.post("/api/v1/approvals", { headers: bearer(agent), data: basic })).json();
    const naive = a.expires_at.replace(/Z$/, "");
    const e = await expectEnvelope(await request.post(`/api/v1/approvals/${a.id}/approve`, { headers: bearer(approver), data: { decision: "approved", approver: APPROVER, signature: sign(a.id, "approved", APPROVER, naive) } }), 403, "invalid_signature");
    expect(e.message).toMatch(/Invalid signature/);
  });

  test("Approval Expired: a decision after expires_at is refused (410 expired)", async ({ request }) => {
    const a = await (await request.post("/api/v1/approvals", { headers: bearer(agent), data: { ...basic, expires_in_seconds: 1 } })).json();
    await expect.poll(async () => (await (await request.get(`/api/v1/approvals/${a.id}`, { headers: bearer(approver) })).json()).status, { timeout: 10_000 }).toBe("expired");
    await expectEnvelope(await request.post(`/api/v1/approvals/${a.id}/approve`, { headers: bearer(approver), data: { decision: "approved", approver: APPROVER, signature: sign(a.id, "approved", APPROVER, a.expires_at) } }), 410, "expired");
  });
});
