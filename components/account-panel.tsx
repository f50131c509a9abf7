"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { useAccountQuery, useUpdateAccountMutation } from "@/lib/console/use-account-query";

/** One's own name and password, and the tenants and roles one holds (read-only: admins set those). */
export function AccountPanel() {
  const account = useAccountQuery();
  const router = useRouter();
  const nameChange = useUpdateAccountMutation();
  const passwordChange = useUpdateAccountMutation();
  const [name, setName] = useState<string | null>(null);
  const a = account.data;
  if (account.error) return <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{account.error.message}</p>;
  if (!a) return <p className="text-sm text-slate-600">Loading…</p>;

  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <section aria-label="Profile" className="min-w-0 space-y-4 rounded-xl border border-slate-200 bg-white p-4">
        <h2 className="text-base font-semibold">Profile</h2>
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-slate-600">User</dt><dd className="break-all">{a.id}</dd>
          <dt className="text-slate-600">Email</dt><dd className="break-all">{a.email ?? "—"}</dd>
          <dt className="text-slate-600">Sign-in</dt><dd>{[a.has_password && "password", a.sso_linked && "single sign-on"].filter(Boolean).join(", ") || "—"}</dd>
        </dl>
        <form method="post" className="space-y-2" aria-label="Change name"
          onSubmit={(e) => {
            e.preventDefault();
            nameChange.mutate({ name: (name ?? a.name ?? "").trim() || null }, { onSuccess: () => router.refresh() });
          }}>
          <label className="block text-sm">
            <span className="text-slate-600">Name</span>
            <input value={name ?? a.name ?? ""} onChange={(e) => setName(e.target.value)} className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
          </label>
          <button type="submit" disabled={nameChange.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white disabled:opacity-60">Save name</button>
          {nameChange.isSuccess && <p role="status" className="text-sm text-canopy-900">Name saved.</p>}
          {nameChange.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{nameChange.error.message}</p>}
        </form>
        <form method="post" className="space-y-2" aria-label="Change password"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const f = new FormData(form);
            passwordChange.mutate(
              { current_password: String(f.get("current") ?? ""), new_password: String(f.get("new") ?? "") },
              { onSuccess: () => form.reset() },
            );
          }}>
          <label className="block text-sm">
            <span className="text-slate-600">Current password</span>
            <input name="current" type="password" autoComplete="current-password" className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">New password</span>
            <input name="new" type="password" autoComplete="new-password" required minLength={12} className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
          </label>
          <button type="submit" disabled={passwordChange.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white disabled:opacity-60">Change password</button>
          {passwordChange.isSuccess && <p role="status" className="text-sm text-canopy-900">Password changed.</p>}
          {passwordChange.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{passwordChange.error.message}</p>}
        </form>
      </section>
      <section aria-label="Your tenants" className="min-w-0 rounded-xl border border-slate-200 bg-white p-4">
        <h2 className="text-base font-semibold">Your tenants and roles</h2>
        <ul className="mt-2 space-y-2 text-sm">
          {a.tenants.map((t) => (
            <li key={t.tenant} className="break-words"><span className="font-medium">{t.tenant}</span>: {t.roles.join(", ") || "no roles"}{t.groups.length > 0 && ` · groups ${t.groups.join(", ")}`}</li>
          ))}
        </ul>
        <p className="mt-3 text-xs text-slate-500">Roles and groups are set by each tenant&apos;s admins on its Access page.</p>
      </section>
    </div>
  );
}
