export const SERVER_INFO = { name: "canopyiq", version: "0.1.0" };
export const INSTRUCTIONS =
  "Tools are governed by CanopyIQ policies. A denied call says which rule denied it and why; a call that needs approval returns an approval id: once approvers decide, repeat the same call with _meta.approval_id set to it.";
/** What this endpoint offers, in both eras' handshakes (initialize, server/discover). */
export const CAPABILITIES = { tools: { listChanged: false } };
