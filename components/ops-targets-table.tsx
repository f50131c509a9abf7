"use client";

import type { TargetList } from "@/lib/console/use-ops-targets-query";
import { OpsLastActions } from "./ops-last-actions";
import { OpsTestConnectionButton } from "./ops-test-connection-button";

type Item = TargetList["targets"][number];

const cell = "block px-3 py-1 md:table-cell md:py-2 md:align-top before:mr-2 before:font-medium before:text-slate-500 before:content-[attr(data-label)] md:before:content-none";

const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function windowsOf(t: Item): string {
  if (!("maintenance_windows" in t)) return "—";
  if (t.maintenance_windows.length === 0) return "none";
  return t.maintenance_windows.map((w) => `${w.days.map((d) => DAY_NAMES[d - 1] ?? d).join(" ")} ${w.start}–${w.end} ${w.timezone}`).join("; ");
}

/** The inventory: one row per target (a card on a phone), its last actions, test connection and edit. */
export function OpsTargetsTable({ targets, canManage, onEdit }: { targets: Item[]; canManage: boolean; onEdit: (t: Item) => void }) {
  return (
    <table aria-label="Targets" className="block w-full text-sm md:table">
      <thead className="hidden md:table-header-group">
        <tr className="border-b border-slate-200 text-left text-slate-600">
          {["Id", "Backend", "Address", "Role", "Tags", "Maintenance windows", "Last actions", ""].map((h) => <th key={h} className="px-3 py-2 font-medium">{h}</th>)}
        </tr>
      </thead>
      <tbody className="block space-y-3 md:table-row-group md:space-y-0">
        {targets.map((t) => (
          <tr key={t.id} aria-label={`Target ${t.id}`} data-testid="target-row" className="block rounded-xl border border-slate-200 bg-white py-2 md:table-row md:rounded-none md:border-0 md:border-b">
            <td data-label="Id" className={`${cell} break-all font-mono md:break-normal md:whitespace-nowrap`}>{t.id}<span className="block font-sans text-xs text-slate-500">{t.name}</span></td>
            <td data-label="Backend" className={cell}>{t.backend}</td>
            <td data-label="Address" className={`${cell} break-all`}>{"address" in t ? (t.address ? `${t.address}${t.port ? `:${t.port}` : ""}` : "gateway host") : "—"}</td>
            <td data-label="Role" className={cell}>
              <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${t.role === "production" ? "bg-amber-100 text-amber-900" : "bg-slate-100 text-slate-700"}`}>{t.role}</span>
            </td>
            <td data-label="Tags" className={cell}>{"tags" in t && t.tags.length > 0 ? t.tags.join(", ") : "—"}</td>
            <td data-label="Windows" className={cell}>
              {windowsOf(t)}
              {"maintenance_window_now" in t && t.maintenance_window_now !== "none" && <span className="block text-xs text-slate-500">now {t.maintenance_window_now}</span>}
              {"misconfigured" in t && <span role="alert" className="block text-xs text-red-700">misconfigured: {t.misconfigured}</span>}
            </td>
            <td data-label="Last actions" className={cell}><OpsLastActions actions={t.last_actions} /></td>
            <td className={`${cell} space-y-2`}>
              {canManage && <OpsTestConnectionButton id={t.id} />}
              {canManage && "options" in t && (
                <button type="button" onClick={() => onEdit(t)} className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50">Edit</button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
