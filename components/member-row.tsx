"use client";

import { useState } from "react";
import type { MemberListItem } from "@/lib/access/schemas";
import { useRemoveMemberMutation, useSaveMemberMutation } from "@/lib/console/use-members-query";
import { RoleCheckboxes } from "./role-checkboxes";

const LOGIN_LABEL: Record<MemberListItem["login"], string> = {
  password: "password",
  oidc: "single sign-on",
  "password+oidc": "password and single sign-on",
  invited: "invitation sent",
  none: "no login yet",
};

const splitList = (s: string) => s.split(",").map((g) => g.trim()).filter(Boolean);

/** One member: roles, approver groups and Slack id, editable in place by an admin. */
export function MemberRow({ tenant, member, canManage }: { tenant: string; member: MemberListItem; canManage: boolean }) {
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState(member.roles);
  const [groups, setGroups] = useState(member.groups.join(", "));
  const [slack, setSlack] = useState(member.slack_user_id ?? "");
  const save = useSaveMemberMutation(tenant);
  const remove = useRemoveMemberMutation(tenant);
  const error = save.error ?? remove.error;
  const id = `m-${member.user.replace(/[^\w-]/g, "_")}`;

  return (
    <li className="rounded-xl border border-slate-200 bg-white p-4" data-testid="member-row" aria-label={`Member ${member.user}`}>
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="break-all font-medium">{member.user}</p>
          {member.email && member.email !== member.user && <p className="break-all text-sm text-slate-600">{member.email}</p>}
          <p className="text-xs text-slate-500">{LOGIN_LABEL[member.login]}</p>
        </div>
        {canManage && !editing && (
          <div className="flex gap-2">
            <button type="button" onClick={() => setEditing(true)} className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50">Edit</button>
            <button type="button" disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Remove ${member.user} from ${tenant}? Their account and other tenants stay.`)) remove.mutate(member.user);
              }}
              className="rounded-md border border-red-300 px-2 py-1 text-sm text-red-700 hover:bg-red-50">
              Remove
            </button>
          </div>
        )}
      </div>
      {!editing ? (
        <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-slate-600">Roles</dt>
          <dd data-testid="member-roles">{member.roles.join(", ") || "none"}</dd>
          <dt className="text-slate-600">Groups</dt>
          <dd data-testid="member-groups">{member.groups.join(", ") || "—"}</dd>
          <dt className="text-slate-600">Slack</dt>
          <dd className="break-all font-mono text-xs leading-5">{member.slack_user_id ?? "—"}</dd>
        </dl>
      ) : (
        <form className="mt-3 space-y-3" aria-label={`Edit ${member.user}`}
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(
              { user: member.user, body: { roles: roles as never, groups: splitList(groups), slack_user_id: slack.trim() || null } },
              { onSuccess: () => setEditing(false) },
            );
          }}>
          <RoleCheckboxes legend="Roles" value={roles} onChange={setRoles} idPrefix={`${id}-role`} />
          <label className="block text-sm">
            <span className="text-slate-600">Approver groups (comma-separated)</span>
            <input value={groups} onChange={(e) => setGroups(e.target.value)} placeholder="secops, finance"
              className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
          </label>
          <label className="block text-sm">
            <span className="text-slate-600">Slack user id</span>
            <input value={slack} onChange={(e) => setSlack(e.target.value)} placeholder="U024BE7LH"
              className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-sm" />
          </label>
          <div className="flex gap-2">
            <button type="submit" disabled={save.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-canopy-900 disabled:opacity-60">Save</button>
            <button type="button" onClick={() => { setEditing(false); save.reset(); }} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">Cancel</button>
          </div>
        </form>
      )}
      {error && <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{error.message}</p>}
    </li>
  );
}
