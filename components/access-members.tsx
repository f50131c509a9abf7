"use client";

import { formatDate } from "@/lib/console/format-date";
import { useMembersQuery } from "@/lib/console/use-members-query";
import { InviteMemberForm } from "./invite-member-form";
import { MemberRow } from "./member-row";

/** The Access page: the tenant's members, open invitations and (for admins) the invite form. */
export function AccessMembers({ tenant, canManage }: { tenant: string; canManage: boolean }) {
  const members = useMembersQuery(tenant);
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <section aria-label="Members" className="min-w-0 space-y-3">
        <h2 className="text-base font-semibold">Members of {tenant}</h2>
        {members.isPending && <p className="text-sm text-slate-600">Loading…</p>}
        {members.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{members.error.message}</p>}
        <ul className="space-y-3">
          {members.data?.members.map((m) => <MemberRow key={`${m.user}:${m.roles.join()}:${m.groups.join()}:${m.slack_user_id}`} tenant={tenant} member={m} canManage={canManage} />)}
        </ul>
        {members.data && members.data.invitations.length > 0 && (
          <div>
            <h3 className="mt-4 text-sm font-semibold">Open invitations</h3>
            <ul className="mt-2 space-y-1 text-sm" aria-label="Open invitations">
              {members.data.invitations.map((i) => (
                <li key={i.id} className="break-all">{i.email} · invited by {i.created_by} · expires {formatDate(i.expires_at)}</li>
              ))}
            </ul>
          </div>
        )}
      </section>
      {canManage && <InviteMemberForm tenant={tenant} />}
    </div>
  );
}
