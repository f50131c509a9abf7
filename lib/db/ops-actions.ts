import type { Db } from "./client";

/** One ops call on a target as the audit log recorded it (a decision, or the outcome of a run). */
export interface OpsActionRow {
  target_id: string;
  seq: number;
  ts: string;
  kind: string;
  tool: string;
  subject: string | null;
  decision: string | null;
  rule: string | null;
  /** tool_result: the run's status (succeeded, failed, timed_out, dry_run…). */
  outcome: string | null;
  exit_code: number | null;
  duration_ms: number | null;
}

/**
 * The newest `perTarget` ops records of each of the tenant's targets `ids`: decisions carry the
 * target in their arguments, outcomes in data.ops_outcome. One query; each target's scan stops
 * at its `perTarget`-th record (ops.* records only, newest first).
 */
export async function lastOpsActionRows(db: Db, tenant: string, ids: string[], perTarget: number): Promise<OpsActionRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.sql.query(
    `SELECT t.id AS target_id, r.* FROM unnest($2::text[]) AS t(id) CROSS JOIN LATERAL (
       SELECT seq::text AS seq, to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, kind, tool, subject, decision, rule, upstream_outcome,
              data->'ops_outcome'->>'exit_code' AS exit_code, data->'ops_outcome'->>'duration_ms' AS duration_ms
         FROM audit_records
        WHERE tenant_id = $1 AND kind IN ('tool_decision', 'tool_result') AND tool LIKE 'ops.%'
          AND (args->>'target_id' = t.id OR data->'ops_outcome'->>'target_id' = t.id)
        ORDER BY seq DESC LIMIT $3) AS r`,
    [tenant, ids, perTarget],
  );
  return rows.map((r) => ({
    target_id: String(r.target_id),
    seq: Number(r.seq),
    ts: String(r.ts),
    kind: String(r.kind),
    tool: String(r.tool),
    subject: (r.subject as string | null) ?? null,
    decision: (r.decision as string | null) ?? null,
    rule: (r.rule as string | null) ?? null,
    outcome: (r.upstream_outcome as string | null) ?? null,
    exit_code: r.exit_code == null ? null : Number(r.exit_code),
    duration_ms: r.duration_ms == null ? null : Number(r.duration_ms),
  }));
}
