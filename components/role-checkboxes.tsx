"use client";

import { ROLES } from "@/lib/auth/rbac";

/** The five roles as checkboxes (a fieldset, so each box is labelled and the group named). */
export function RoleCheckboxes({ legend, value, onChange, idPrefix }: { legend: string; value: string[]; onChange: (roles: string[]) => void; idPrefix: string }) {
  return (
    <fieldset className="min-w-0">
      <legend className="text-sm text-slate-600">{legend}</legend>
      <div className="mt-1 flex flex-wrap gap-x-3 gap-y-1">
        {ROLES.map((role) => (
          <label key={role} htmlFor={`${idPrefix}-${role}`} className="flex items-center gap-1 text-sm">
            <input id={`${idPrefix}-${role}`} type="checkbox" checked={value.includes(role)}
              onChange={(e) => onChange(e.target.checked ? [...value, role] : value.filter((r) => r !== role))} />
            {role}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
