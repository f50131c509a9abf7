"use client";

import { useState } from "react";
import { formatDate } from "@/lib/console/format-date";
import { useCreateTenantMutation, usePatchTenantMutation, useTenantsQuery } from "@/lib/console/use-tenants-query";

/** Tenants: all of them for platform admins (create, suspend, resume), one's own otherwise. */
export function TenantList({ platformAdmin, platformTenant }: { platformAdmin: boolean; platformTenant: string }) {
  const tenants = useTenantsQuery();
  const create = useCreateTenantMutation();
  const patch = usePatchTenantMutation();
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  return (
    <section aria-label="Tenants" className="min-w-0 space-y-3">
      <h2 className="text-base font-semibold">Tenants</h2>
      {tenants.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{tenants.error.message}</p>}
      {patch.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{patch.error.message}</p>}
      <ul className="space-y-2">
        {tenants.data?.tenants.map((t) => (
          <li key={t.id} aria-label={`Tenant ${t.id}`} className="flex flex-wrap items-center justify-between gap-2 rounded-xl border border-slate-200 bg-white p-3">
            <div className="min-w-0">
              <p className="break-all font-medium">{t.name} <span className="font-mono text-xs text-slate-500">{t.id}</span></p>
              <p className="text-xs text-slate-500">created {formatDate(t.created_at)}{t.suspended_at ? ` · suspended ${formatDate(t.suspended_at)} by ${t.suspended_by ?? "?"}` : ""}</p>
            </div>
            <div className="flex items-center gap-2">
              <span data-testid="tenant-status" className={`rounded-full px-2 py-0.5 text-xs font-semibold ${t.suspended_at ? "bg-amber-100 text-amber-900" : "bg-canopy-50 text-canopy-900"}`}>{t.suspended_at ? "suspended" : "active"}</span>
              {platformAdmin && t.id !== platformTenant && (
                <button type="button" disabled={patch.isPending}
                  onClick={() => {
                    const suspend = !t.suspended_at;
                    if (!suspend || window.confirm(`Suspend ${t.id}? Its tokens and sessions stop working; nothing is deleted.`)) patch.mutate({ id: t.id, suspended: suspend });
                  }}
                  className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50">
                  {t.suspended_at ? "Resume" : "Suspend"}
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {platformAdmin && (
        <form aria-label="Create a tenant" className="flex flex-wrap items-end gap-2 rounded-xl border border-slate-200 bg-white p-3"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) }, { onSuccess: () => { setId(""); setName(""); } });
          }}>
          <label className="text-sm">
            <span className="block text-slate-600">Tenant id</span>
            <input required value={id} onChange={(e) => setId(e.target.value)} placeholder="acme-prod" className="mt-1 w-40 rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
          </label>
          <label className="text-sm">
            <span className="block text-slate-600">Name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme production" className="mt-1 w-44 rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
          </label>
          <button type="submit" disabled={create.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white disabled:opacity-60">Create tenant</button>
          {create.error && <p role="alert" className="w-full rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{create.error.message}</p>}
        </form>
      )}
    </section>
  );
}
