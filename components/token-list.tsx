"use client";

import { formatDate } from "@/lib/console/format-date";
import { useRevokeTokenMutation, useTokensQuery } from "@/lib/console/use-tokens-query";

/** The tenant's tokens, newest first, each revocable (refused from its next use on every replica). */
export function TokenList() {
  const tokens = useTokensQuery();
  const revoke = useRevokeTokenMutation();
  return (
    <section aria-label="Tokens" className="min-w-0 space-y-3">
      <h2 className="text-base font-semibold">Tokens</h2>
      {tokens.isPending && <p className="text-sm text-slate-600">Loading…</p>}
      {tokens.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{tokens.error.message}</p>}
      {revoke.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{revoke.error.message}</p>}
      {tokens.data?.tokens.length === 0 && <p className="text-sm text-slate-600">No tokens yet.</p>}
      <ul className="space-y-3">
        {tokens.data?.tokens.map((t) => {
          const status = t.revoked ? "revoked" : t.expired ? "expired" : "active";
          return (
            <li key={t.id} aria-label={`Token ${t.name ?? t.subject} ${t.id}`} data-testid="token-row" className="rounded-xl border border-slate-200 bg-white p-4">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <div className="min-w-0">
                  <p className="break-all font-medium">{t.subject}{t.name ? ` · ${t.name}` : ""}</p>
                  <p className="break-all font-mono text-xs text-slate-500">{t.id}</p>
                </div>
                <span data-testid="token-status" className={`rounded-full px-2 py-0.5 text-xs font-semibold ${status === "active" ? "bg-canopy-50 text-canopy-900" : "bg-slate-100 text-slate-700"}`}>{status}</span>
              </div>
              <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                <dt className="text-slate-600">Roles</dt><dd>{t.roles.join(", ")}</dd>
                <dt className="text-slate-600">Created</dt><dd>{formatDate(t.created_at)}{t.created_by ? ` by ${t.created_by}` : ""}</dd>
                <dt className="text-slate-600">Expires</dt><dd>{formatDate(t.expires_at)}</dd>
                <dt className="text-slate-600">Last used</dt><dd>{t.last_used_at ? formatDate(t.last_used_at) : "never"}</dd>
                {t.revoked && (<><dt className="text-slate-600">Revoked</dt><dd>{formatDate(t.revoked_at)}{t.revoked_by ? ` by ${t.revoked_by}` : ""}</dd></>)}
              </dl>
              {status === "active" && (
                <button type="button" disabled={revoke.isPending}
                  onClick={() => {
                    if (window.confirm(`Revoke the token of ${t.subject}? It stops working at once.`)) revoke.mutate(t.id);
                  }}
                  className="mt-3 rounded-md border border-red-300 px-2 py-1 text-sm text-red-700 hover:bg-red-50">
                  Revoke
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
