import { describe, expect, it } from "vitest";
import { capsOf, issueSessionId, SESSION_MAX_AGE_MS, verifySessionId } from "./session-id";

const SECRET = "s".repeat(43);
const owner = { tenant: "t1", subject: "agent-1" };
const now = Date.UTC(2026, 0, 1);
const caps = { sampling: true, elicitationForm: false, elicitationUrl: true, roots: false };
const id = issueSessionId(SECRET, { ...owner, caps, protocolVersion: "2025-11-25", issuedAt: now });

describe("session ids", () => {
  it("verify for their owner and carry the declared capabilities", () => {
    expect(verifySessionId(SECRET, id, owner, now + 1000)).toEqual({ ok: true, session: { ...owner, caps, protocolVersion: "2025-11-25", issuedAt: now } });
  });

  it("are unique: one principal initializing twice in the same millisecond gets two sessions", () => {
    const again = issueSessionId(SECRET, { ...owner, caps, protocolVersion: "2025-11-25", issuedAt: now });
    expect(again).not.toBe(id);
    expect(verifySessionId(SECRET, again, owner, now)).toMatchObject({ ok: true });
  });

  const [payload, sig] = id.split(".") as [string, string];
  const forged = Buffer.from(JSON.stringify({ t: "t1", s: "agent-1", c: "1111", p: "2025-11-25", i: now })).toString("base64url");
  it.each([
    ["another subject", id, { tenant: "t1", subject: "agent-2" }, now, /another principal/],
    ["another tenant", id, { tenant: "t2", subject: "agent-1" }, now, /another principal/],
    ["an edited payload (capabilities raised)", `${forged}.${sig}`, owner, now, /signature/],
    ["another key's signature", issueSessionId("k".repeat(43), { ...owner, caps, protocolVersion: "2025-11-25", issuedAt: now }), owner, now, /signature/],
    ["an unsigned value", payload, owner, now, /malformed/],
    ["an expired session", id, owner, now + SESSION_MAX_AGE_MS + 1, /expired/],
    ["an oversized value", `${"a".repeat(2000)}.b`, owner, now, /malformed/],
  ])("refuse %s", (_label, presented, who, at, reason) => {
    const r = verifySessionId(SECRET, presented, who, at);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it.each([
    ["nothing", {}, { sampling: false, elicitationForm: false, elicitationUrl: false, roots: false }],
    ["2025-06-18 elicitation (form implied)", { elicitation: {} }, { sampling: false, elicitationForm: true, elicitationUrl: false, roots: false }],
    ["URL mode only", { elicitation: { url: {} } }, { sampling: false, elicitationForm: false, elicitationUrl: true, roots: false }],
    ["both modes, sampling and roots", { elicitation: { form: {}, url: {} }, sampling: {}, roots: { listChanged: true } }, { sampling: true, elicitationForm: true, elicitationUrl: true, roots: true }],
    ["not an object", "x", { sampling: false, elicitationForm: false, elicitationUrl: false, roots: false }],
  ])("capsOf: %s", (_label, given, want) => {
    expect(capsOf(given)).toEqual(want);
  });
});
