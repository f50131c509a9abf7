"use client";

import { useState } from "react";
import { EMPTY_TARGET_FORM, FORM_BACKENDS, FORM_ROLES, type TargetFormState, targetBody } from "@/lib/console/ops-target-form";
import { useSaveOpsTargetMutation } from "@/lib/console/use-ops-targets-query";

const input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** Creates a target, or edits one (its id fixed). Credentials are secret names: the value lives in the server's environment. */
export function OpsTargetForm({ initial, onDone }: { initial: TargetFormState | null; onDone: () => void }) {
  const mode = initial ? "edit" : "create";
  const [f, setF] = useState<TargetFormState>(initial ?? EMPTY_TARGET_FORM);
  const [problem, setProblem] = useState<string | null>(null);
  const save = useSaveOpsTargetMutation();
  const set = <K extends keyof TargetFormState>(k: K) => (e: { target: { value: string } }) => setF((old) => ({ ...old, [k]: e.target.value as TargetFormState[K] }));
  return (
    <section aria-label={mode === "create" ? "New target" : `Edit target ${f.id}`} className="rounded-xl border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold">{mode === "create" ? "New target" : `Edit ${f.id}`}</h2>
      <form className="mt-3 space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          const r = targetBody(f, mode);
          if (!r.ok) return setProblem(`${r.field}: ${r.message}`);
          setProblem(null);
          save.mutate({ mode, id: f.id.trim(), body: r.body }, { onSuccess: () => (mode === "create" ? setF(EMPTY_TARGET_FORM) : onDone()) });
        }}>
        <label className="block text-sm"><span className="text-slate-600">Id</span>
          <input required disabled={mode === "edit"} value={f.id} onChange={set("id")} placeholder="prod-web-01" className={input} /></label>
        <label className="block text-sm"><span className="text-slate-600">Name</span>
          <input required value={f.name} onChange={set("name")} placeholder="Production web" className={input} /></label>
        <div className="grid grid-cols-2 gap-3">
          <label className="block text-sm"><span className="text-slate-600">Backend</span>
            <select value={f.backend} onChange={set("backend")} className={input}>{FORM_BACKENDS.map((b) => <option key={b}>{b}</option>)}</select></label>
          <label className="block text-sm"><span className="text-slate-600">Role</span>
            <select value={f.role} onChange={set("role")} className={input}>{FORM_ROLES.map((r) => <option key={r}>{r}</option>)}</select></label>
        </div>
        <div className="grid grid-cols-[1fr_6rem] gap-3">
          <label className="block text-sm"><span className="text-slate-600">Address</span>
            <input value={f.address} onChange={set("address")} placeholder={f.backend === "local" ? "(the gateway host)" : "10.0.0.5"} className={input} /></label>
          <label className="block text-sm"><span className="text-slate-600">Port</span>
            <input value={f.port} onChange={set("port")} inputMode="numeric" className={input} /></label>
        </div>
        <label className="block text-sm"><span className="text-slate-600">Tags (comma-separated)</span>
          <input value={f.tags} onChange={set("tags")} placeholder="web, eu" className={input} /></label>
        <label className="block text-sm"><span className="text-slate-600">Credential (secret name)</span>
          <input value={f.credential_ref} onChange={set("credential_ref")} placeholder="PROD_WEB_SSH_KEY" autoComplete="off" className={input} /></label>
        <label className="block text-sm"><span className="text-slate-600">Maintenance windows (one per line)</span>
          <textarea value={f.windows} onChange={set("windows")} rows={2} placeholder="mon-fri 08:00-12:00 UTC" className={`${input} font-mono`} /></label>
        <label className="block text-sm"><span className="text-slate-600">Options (JSON)</span>
          <textarea value={f.options} onChange={set("options")} rows={4} className={`${input} font-mono`} spellCheck={false} /></label>
        <div className="flex gap-2">
          <button type="submit" disabled={save.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-canopy-900 disabled:opacity-60">
            {save.isPending ? "Saving…" : mode === "create" ? "Create target" : "Save"}
          </button>
          {mode === "edit" && <button type="button" onClick={onDone} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm">Cancel</button>}
        </div>
      </form>
      {(problem ?? save.error) && <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{problem ?? save.error?.message}</p>}
    </section>
  );
}
