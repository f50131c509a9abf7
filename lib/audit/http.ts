import type { Principal } from "@/lib/auth/principal";
import { requireTenant } from "@/lib/auth/with-auth";
import { keyId } from "./hash";
import { auditLog } from "./index";
import type { AuditFilter, AuditPage, AuditRecordView, AuditSearchQuery, AuditWrite, CheckpointView, VerifyResult } from "./schemas";

/** What the /api/v1/audit handlers call: tenant scoping plus one audit-log operation each. */

function tenantOf(principal: Principal, tenant: string | undefined): string {
  requireTenant(principal, tenant);
  return tenant ?? principal.tenant;
}

export function searchAudit(principal: Principal, query: AuditSearchQuery): Promise<AuditPage> {
  return auditLog().search(tenantOf(principal, query.tenant), query);
}

/** AegisMCP's `POST /audit`: an agent's own note, appended to its tenant's chain. */
export async function writeAgentNote(principal: Principal, body: AuditWrite, requestId: string): Promise<{ ok: true; record: AuditRecordView }> {
  const record = await auditLog().append({
    tenant: principal.tenant,
    kind: "agent_note",
    subject: principal.subject,
    tool: body.tool ?? null,
    traceId: body.trace_id ?? requestId,
    decision: body.ok === undefined ? null : body.ok ? "ok" : "failed",
    reason: body.note ?? null,
    data: { action: body.action, ok: body.ok ?? null, note: body.note ?? null, via: principal.kind },
  });
  return { ok: true, record };
}

export function verifyAudit(principal: Principal, tenant: string | undefined): Promise<VerifyResult> {
  return auditLog().verify(tenantOf(principal, tenant));
}

export async function listCheckpoints(
  principal: Principal,
  q: { tenant?: string; after?: number; limit: number },
): Promise<{ checkpoints: CheckpointView[]; public_key: string; key_id: string }> {
  const log = auditLog();
  const checkpoints = await log.checkpoints(tenantOf(principal, q.tenant), { after: q.after, limit: q.limit });
  const pub = log.publicKeys()[0];
  return { checkpoints, public_key: pub, key_id: keyId(pub) };
}

/** The JSONL export as a streamed HTTP response (pulled page by page: nothing is loaded whole). */
export async function exportAuditResponse(principal: Principal, filter: AuditFilter): Promise<Response> {
  const tenant = tenantOf(principal, filter.tenant);
  const lines = auditLog().exportLines(tenant, filter);
  const encoder = new TextEncoder();
  // The first chunk is read before answering, so a database failure is an error response, not a cut stream.
  const first = await lines.next();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(encoder.encode(first.value));
    },
    async pull(controller) {
      try {
        const { value, done } = await lines.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(stream, {
    headers: {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="audit-${tenant}-${stamp}.jsonl"`,
      "cache-control": "no-store",
    },
  });
}
