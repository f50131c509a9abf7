"use client";

import { useState } from "react";
import { formOf, type TargetFormState } from "@/lib/console/ops-target-form";
import { useOpsTargetsQuery } from "@/lib/console/use-ops-targets-query";
import { OpsTargetForm } from "./ops-target-form";
import { OpsTargetsTable } from "./ops-targets-table";

/** The Targets page's client side: the inventory and, for admins, the create/edit form. */
export function OpsTargetsConsole({ canManage }: { canManage: boolean }) {
  const targets = useOpsTargetsQuery();
  const [editing, setEditing] = useState<TargetFormState | null>(null);
  return (
    <div className={canManage ? "grid gap-6 2xl:grid-cols-[1fr_22rem]" : ""}>
      <section aria-label="Inventory" className="min-w-0 space-y-3">
        {targets.isPending && <p className="text-sm text-slate-600">Loading…</p>}
        {targets.error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{targets.error.message}</p>}
        {targets.data?.targets.length === 0 && <p className="text-sm text-slate-600">No targets yet.</p>}
        {targets.data && targets.data.targets.length > 0 && (
          <OpsTargetsTable targets={targets.data.targets} canManage={canManage} onEdit={(t) => "options" in t && setEditing(formOf(t))} />
        )}
      </section>
      {canManage && <OpsTargetForm key={editing?.id ?? "new"} initial={editing} onDone={() => setEditing(null)} />}
    </div>
  );
}
