import { randomUUID } from "node:crypto";
import { AppError, forbidden } from "@/lib/errors";
import { keyId } from "./hash";
import type { AuditLog } from "./log";
import type { AuditFilter, AuditPage, AuditRecordView, AuditSearchQuery, AuditWrite, CheckpointView, VerifyResult } from "./schemas";

/** What the /api/v1/audit handlers call: tenant scoping plus one audit-log operation each. */

/**
 * Who is asking, as the audit log needs it: the route wrapper authenticated them (audit does not
 * depend on auth); their tenant is the only chain they may read or write.
 */
export interface AuditCaller {
  tenant: string;
  subject: string;
  kind: string;
}

function tenantOf(caller: AuditCaller, tenant: string | undefined): string {
  if (tenant && tenant !== caller.tenant) throw forbidden(`this credential acts for tenant ${caller.tenant}, not ${tenant}`);
  return tenant ?? caller.tenant;
}


export function searchAudit(log: AuditLog, principal: AuditCaller, query: AuditSearchQuery): Promise<AuditPage> {
  return log.search(tenantOf(principal, query.tenant), query);
}

/**
 * AegisMCP's `POST /audit`: an agent's own note, appended to its tenant's chain under a trace id
 * of its own (never one the caller picks, so a note cannot pass for part of another call). A
 * `trace_id` the caller gives is kept as `data.refers_to`, and only when it names a record of the
 * caller's own tenant and subject; otherwise 403, the same answer whether it exists elsewhere or not.
 */

export async function writeAgentNote(log: AuditLog, principal: AuditCaller, body: AuditWrite, requestId: string): Promise<{ ok: true; record: AuditRecordView }> {
  if (body.trace_id !== undefined) {
    const own = await log.search(principal.tenant, { trace_id: body.trace_id, subject: principal.subject, limit: 1 });
    if (own.records.length === 0) {
      throw new AppError(
        403,
        "trace_not_yours",
        `trace_id ${JSON.stringify(body.trace_id)} is not a trace of ${principal.subject} in tenant ${principal.tenant}: a note may refer only to your own calls; leave trace_id out to write a note on its own`,
      );
    }
  }
  const record = await log.append({
    tenant: principal.tenant,
    kind: "agent_note",
    subject: principal.subject,
    tool: body.tool ?? null,
    traceId: randomUUID(),
    decision: body.ok === undefined ? null : body.ok ? "ok" : "failed",
    reason: body.note ?? null,
    data: { action: body.action, ok: body.ok ?? null, note: body.note ?? null, via: principal.kind, request_id: requestId, refers_to: body.trace_id ?? null },
  });
  return { ok: true, record };
}


export function verifyAudit(log: AuditLog, principal: AuditCaller, tenant: string | undefined): Promise<VerifyResult> {
  return log.verify(tenantOf(principal, tenant));
}


export async function listCheckpoints(
  log: AuditLog,
  principal: AuditCaller,
  q: { tenant?: string; after?: number; limit: number },
): Promise<{ checkpoints: CheckpointView[]; public_key: string; key_id: string }> {
  const checkpoints = await log.checkpoints(tenantOf(principal, q.tenant), { after: q.after, limit: q.limit });
  const pub = log.publicKeys()[0];
  return { checkpoints, public_key: pub, key_id: keyId(pub) };
}

/** The JSONL export as a streamed HTTP response (pulled page by page: nothing is loaded whole). */

export async function exportAuditResponse(log: AuditLog, principal: AuditCaller, filter: AuditFilter): Promise<Response> {
  const tenant = tenantOf(principal, filter.tenant);
  const lines = log.exportLines(tenant, filter);
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
