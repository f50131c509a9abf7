import { describe, expect, test } from "vitest";
import { approvalMessage, signSlackRequest, verifySlackSignature } from "./slack";

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
const NOW = 1_790_000_000;

describe("Slack signature verification matrix", () => {
  const body = "payload=%7B%22type%22%3A%22block_actions%22%7D";
  const good = signSlackRequest(SIGNING, NOW, body);
  const check = (over: { ts?: string | null; sig?: string | null; body?: string; now?: number; secret?: string }) =>
    verifySlackSignature({
      signingSecret: over.secret ?? SIGNING,
      timestamp: over.ts === undefined ? good["x-slack-request-timestamp"] : over.ts,
      signature: over.sig === undefined ? good["x-slack-signature"] : over.sig,
      rawBody: over.body ?? body,
      nowSeconds: over.now ?? NOW,
    });

  test.each([
    ["valid", {}, { ok: true }],
    ["valid at +300 s", { now: NOW + 300 }, { ok: true }],
    ["valid at -300 s (clock behind)", { now: NOW - 300 }, { ok: true }],
    ["timestamp 301 s old", { now: NOW + 301 }, { ok: false, reason: "stale_timestamp" }],
    ["timestamp 301 s in the future", { now: NOW - 301 }, { ok: false, reason: "stale_timestamp" }],
    ["body changed", { body: `${body}x` }, { ok: false, reason: "bad_signature" }],
    ["wrong version", { sig: good["x-slack-signature"].replace(/^v0=/, "v1=") }, { ok: false, reason: "bad_version" }],
    ["missing signature header", { sig: null }, { ok: false, reason: "missing_headers" }],
    ["missing timestamp header", { ts: null }, { ok: false, reason: "missing_headers" }],
    ["non-numeric timestamp", { ts: "12ab" }, { ok: false, reason: "bad_timestamp" }],
    ["bad signature", { sig: `v0=${"0".repeat(64)}` }, { ok: false, reason: "bad_signature" }],
    ["truncated signature", { sig: good["x-slack-signature"].slice(0, 20) }, { ok: false, reason: "bad_signature" }],
    ["other signing secret", { secret: "another-secret" }, { ok: false, reason: "bad_signature" }],
    ["timestamp swapped (signature over another ts)", { ts: String(NOW + 1) }, { ok: false, reason: "bad_signature" }],
  ] as const)("%s", (_name, over, expected) => {
    expect(check(over)).toEqual(expected);
  });

  test("no signing secret configured refuses everything", () => {
    expect(check({ secret: "" })).toEqual({ ok: false, reason: "not_configured" });
  });
});

describe("approval messages", () => {
  test("message text covers progress, votes and the final state", () => {
    const base = {
      id: "appr_1", tenant: "t", subject: "agent-42", requested_by: "admin", tool: "fs.write", args: {}, args_digest: "d", summary: null, reason: null, rule: null, rule_hash: null, quorum_source: "requester" as const,
      approver_group: null, required_approvals: 2, approvals: 1, remaining_approvals: 1, policy_version: null, status: "pending" as const, trace_id: null, context: null,
      created_at: "2026-01-01T00:00:00.000Z", requested_at: "2026-01-01T00:00:00.000Z", expires_at: "2026-01-01T01:00:00Z", resolved_at: null, executed_at: null,
      votes: [{ approver: "alice", decision: "approved" as const, comment: "fine", via: "slack", created_at: "2026-01-01T00:01:00.000Z" }], agent: "agent-42", action: "fs.write",
    };
    const m = JSON.stringify(approvalMessage(base));
    expect(m).toContain("1 of 2 approvals");
    expect(m).toContain("filed by admin");
    expect(m).toContain("alice approved");
    expect(JSON.stringify(approvalMessage({ ...base, status: "expired" }))).toContain("*Expired*");
  });
});
