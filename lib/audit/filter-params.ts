/**
 * The audit explorer's filters as the console passes them around: in its state, in the URL of a
 * filtered view (the dashboard links to those) and in the API query string. No "use client":
 * the page reads the URL on the server.
 */

export interface AuditFilterValues {
  subject?: string;
  tool?: string;
  decision?: string;
  kind?: string;
  rule?: string;
  trace_id?: string;
  approval_id?: string;
  /** ok | error: the upstream outcome of forwarded calls. */
  outcome?: string;
  q?: string;
  /** ISO-8601 instants. */
  from?: string;
  to?: string;
}

/** The filters the explorer takes from its URL (what the dashboard's links carry). */
export const AUDIT_FILTER_KEYS = ["subject", "tool", "decision", "kind", "rule", "trace_id", "approval_id", "outcome", "q", "from", "to"] as const;

export function auditFiltersFromParams(params: Record<string, string | string[] | undefined>): AuditFilterValues {
  const out: AuditFilterValues = {};
  for (const k of AUDIT_FILTER_KEYS) {
    const v = params[k];
    const s = Array.isArray(v) ? v[0] : v;
    if (s && s.length <= 500) out[k] = s;
  }
  return out;
}

/** The console URL of the audit explorer with these filters applied. */
export function auditHref(filters: AuditFilterValues): string {
  const p = new URLSearchParams();
  for (const k of AUDIT_FILTER_KEYS) {
    const v = filters[k];
    if (v) p.set(k, v);
  }
  const qs = p.toString();
  return qs ? `/audit?${qs}` : "/audit";
}
