"use client";

import { type FormEvent, useState } from "react";
import { AUDIT_KINDS } from "@/lib/audit/schemas";
import type { AuditFilterValues } from "@/lib/audit/use-audit-query";

const input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm shadow-sm focus:border-canopy-600 focus:outline-none focus:ring-2 focus:ring-canopy-600/30";

// The inputs are in UTC, like every date the console shows (lib/console/format-date.ts).
function toUtcInput(iso?: string) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().slice(0, 16);
}

function fromUtcInput(v: FormDataEntryValue | null) {
  const s = String(v ?? "");
  if (!s) return undefined;
  const d = new Date(`${s}:00Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The explorer's filters; applied on submit so typing does not fire a search per key. */
export function AuditFilterBar({ value, onApply }: { value: AuditFilterValues; onApply: (v: AuditFilterValues) => void }) {
  const [key, setKey] = useState(0);
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (name: string) => String(f.get(name) ?? "").trim() || undefined;
    onApply({
      subject: text("subject"), tool: text("tool"), decision: text("decision"), kind: text("kind"), rule: text("rule"),
      trace_id: text("trace_id"), approval_id: text("approval_id"), outcome: text("outcome"), q: text("q"), from: fromUtcInput(f.get("from")), to: fromUtcInput(f.get("to")),
    });
  }
  return (
    <form key={key} onSubmit={submit} aria-label="Audit filters" className="rounded-xl border border-slate-200 bg-white p-4">
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-5">
        <label className="text-sm font-medium text-slate-700">Search reason
          <input name="q" defaultValue={value.q} placeholder="free text" className={input} />
        </label>
        <label className="text-sm font-medium text-slate-700">Tool
          <input name="tool" defaultValue={value.tool} placeholder="fs.* or fs.write" className={input} />
        </label>
        <label className="text-sm font-medium text-slate-700">Subject
          <input name="subject" defaultValue={value.subject} placeholder="agent-42" className={input} />
        </label>
        <label className="text-sm font-medium text-slate-700">Decision
          <select name="decision" defaultValue={value.decision ?? ""} className={input}>
            <option value="">any</option>
            <option value="allow">allow</option>
            <option value="deny">deny</option>
            <option value="approval">approval</option>
            <option value="ok">ok</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <label className="text-sm font-medium text-slate-700">Kind
          <select name="kind" defaultValue={value.kind ?? ""} className={input}>
            <option value="">any</option>
            {AUDIT_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </label>
        <label className="text-sm font-medium text-slate-700">Upstream outcome
          <select name="outcome" defaultValue={value.outcome ?? ""} className={input}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
        </label>
        <label className="text-sm font-medium text-slate-700">Rule
          <input name="rule" defaultValue={value.rule} className={input} />
        </label>
        <label className="text-sm font-medium text-slate-700">Trace ID
          <input name="trace_id" defaultValue={value.trace_id} className={input} />
        </label>
        <label className="text-sm font-medium text-slate-700">Approval ID
          <input name="approval_id" defaultValue={value.approval_id} className={input} />
        </label>
        <label className="text-sm font-medium text-slate-700">From (UTC)
          <input name="from" type="datetime-local" defaultValue={toUtcInput(value.from)} className={input} />
        </label>
        <label className="text-sm font-medium text-slate-700">To (UTC)
          <input name="to" type="datetime-local" defaultValue={toUtcInput(value.to)} className={input} />
        </label>
      </div>
      <div className="mt-3 flex gap-2">
        <button type="submit" className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-canopy-900">Apply filters</button>
        <button type="button" onClick={() => { setKey((k) => k + 1); onApply({}); }}
          className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50">Clear</button>
      </div>
    </form>
  );
}
