import { describe, expect, it } from "vitest";
import { approvalElicitation, approvalElicitationComplete, approvalPageUrl } from "./approval-elicitation";

const approval = { id: "appr_1", status: "pending", approvals: 0, required_approvals: 2, approver_group: "secops", expires_at: "2026-01-01T00:10:00.000Z", retry: "…" } as const;

describe("approval elicitation", () => {
  it.each([
    ["a bare origin", "https://canopy.example.com", "https://canopy.example.com/approvals?id=appr_1"],
    ["a trailing slash", "https://canopy.example.com/", "https://canopy.example.com/approvals?id=appr_1"],
    ["a base path", "https://example.com/canopy/", "https://example.com/canopy/approvals?id=appr_1"],
  ])("the approval's page under %s", (_label, base, want) => {
    expect(approvalPageUrl(base, "appr_1")).toBe(want);
  });

  it("is URL mode with the page, a stable id and the quorum; never a form", () => {
    const e = approvalElicitation(approval as never, "fs.write", "https://canopy.example.com");
    expect(e).toEqual({ mode: "url", elicitationId: "canopy-approval-appr_1", url: "https://canopy.example.com/approvals?id=appr_1", message: expect.stringContaining("2 approvals from secops") });
    expect(e).not.toHaveProperty("requestedSchema");
    expect(approvalElicitationComplete("appr_1")).toEqual({ method: "notifications/elicitation/complete", params: { elicitationId: e.elicitationId } });
  });
});
