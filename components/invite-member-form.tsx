"use client";

import { useState } from "react";
import { useInviteMutation } from "@/lib/console/use-members-query";
import { CopyOnce } from "./copy-once";
import { RoleCheckboxes } from "./role-checkboxes";

/** Adds a member by email; the one-time link to set a password is shown here once. */
export function InviteMemberForm({ tenant }: { tenant: string }) {
  const [email, setEmail] = useState("");
  const [roles, setRoles] = useState<string[]>(["approver"]);
  const [groups, setGroups] = useState("");
  const invite = useInviteMutation(tenant);
  const result = invite.data;

  return (
    <section aria-label="Invite a member" className="rounded-xl border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold">Invite a member</h2>
      <form className="mt-3 space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          invite.mutate(
            { email: email.trim(), roles: roles as never, groups: groups.split(",").map((g) => g.trim()).filter(Boolean) },
            { onSuccess: () => setEmail("") },
          );
        }}>
        <label className="block text-sm">
          <span className="text-slate-600">Email</span>
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="person@example.com"
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
        </label>
        <RoleCheckboxes legend="Roles" value={roles} onChange={setRoles} idPrefix="invite-role" />
        <label className="block text-sm">
          <span className="text-slate-600">Approver groups (comma-separated)</span>
          <input value={groups} onChange={(e) => setGroups(e.target.value)} placeholder="secops"
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
        </label>
        <button type="submit" disabled={invite.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-canopy-900 disabled:opacity-60">
          {invite.isPending ? "Inviting…" : "Invite"}
        </button>
      </form>
      {invite.error && <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{invite.error.message}</p>}
      {result && (
        <div className="mt-3">
          {result.invitation ? (
            <CopyOnce label="Invitation link" value={result.invitation.link} note={result.message} onDone={() => invite.reset()} />
          ) : (
            <p role="status" className="rounded-md bg-canopy-50 px-3 py-2 text-sm text-canopy-900">{result.message}</p>
          )}
        </div>
      )}
    </section>
  );
}
