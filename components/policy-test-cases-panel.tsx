"use client";

import { type FormEvent, useState } from "react";
import { AuditDecisionBadge } from "@/components/audit-decision-badge";
import type { Action } from "@/lib/console/policy-api";
import { type PolicyTestCase, testCaseSchema } from "@/lib/console/test-cases";
import type { SimRow } from "@/lib/console/use-live-simulation";

export interface PolicyTestCasesPanelProps {
  cases: readonly PolicyTestCase[];
  /** The live simulation's rows of these cases, by case id (`test:<id>`). */
  results: ReadonlyMap<string, SimRow>;
  canEdit: boolean;
  onAdd: (tc: PolicyTestCase) => void;
  onRemove: (id: string) => void;
  /** Where the cases are kept, in a sentence (this browser today). */
  storageNote: string;
  error: string | null;
}

const input = "w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** The author's test cases: each a call and the decision it must get, checked against the draft as it changes. */
export function PolicyTestCasesPanel({ cases, results, canEdit, onAdd, onRemove, storageNote, error }: PolicyTestCasesPanelProps) {
  const [formError, setFormError] = useState<string | null>(null);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const text = (k: string) => String(f.get(k) ?? "").trim();
    let args: unknown;
    try {
      args = text("arguments") ? JSON.parse(text("arguments")) : {};
    } catch (err) {
      setFormError(`Arguments are not JSON: ${(err as Error).message}`);
      return;
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      setFormError('Arguments must be a JSON object, e.g. {"path": "/sandbox/tmp/a.txt"}');
      return;
    }
    const roles = text("roles")
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean);
    const at = text("at");
    if (at && Number.isNaN(new Date(at).getTime())) {
      setFormError("Time must be an ISO 8601 instant such as 2026-11-21T10:00:00Z");
      return;
    }
    const parsed = testCaseSchema.safeParse({
      id: typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : String(Date.now()),
      name: text("name") || `${text("tool")} → ${text("decision")}`,
      call: { tool: text("tool"), arguments: args, ...(text("subject") ? { subject: text("subject") } : {}), roles, ...(at ? { at: new Date(at).toISOString() } : {}) },
      expect: { decision: text("decision") as Action, ...(text("rule") ? { rule: text("rule") } : {}) },
      created_at: new Date().toISOString(),
    });
    if (!parsed.success) {
      setFormError(parsed.error.issues.map((i) => `${i.path.join(".") || "test case"}: ${i.message}`).join("; "));
      return;
    }
    setFormError(null);
    onAdd(parsed.data);
    e.currentTarget.reset();
  }

  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">{storageNote}</p>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      {cases.length === 0 ? (
        <p className="text-sm text-slate-600">No test cases yet. Expand a simulated call and choose “Save as test case”, or add one below.</p>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-md border border-slate-200" aria-label="Test cases">
          {cases.map((tc) => {
            const r = results.get(`test:${tc.id}`);
            const got = r?.draft?.decision;
            return (
              <li key={tc.id} className="flex flex-col gap-2 p-3 sm:flex-row sm:items-center" data-test-case={tc.name}>
                <div className="min-w-0 flex-1">
                  <p className="truncate text-sm font-medium">{tc.name}</p>
                  <p className="truncate text-xs text-slate-500">
                    <code>{tc.call.tool}</code> {JSON.stringify(tc.call.arguments)} · expects {tc.expect.decision}
                    {tc.expect.rule !== undefined ? ` by ${tc.expect.rule === null ? "the default" : `“${tc.expect.rule}”`}` : ""}
                  </p>
                </div>
                <div className="flex items-center gap-2">
                  {got && <AuditDecisionBadge decision={got.decision} />}
                  {r?.expectation ? (
                    <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${r.expectation.pass ? "bg-canopy-100 text-canopy-900" : "bg-red-100 text-red-800"}`} title={r.expectation.message}>
                      {r.expectation.pass ? "pass" : `fail: ${r.expectation.message}`}
                    </span>
                  ) : (
                    <span className="text-xs text-slate-400">not run</span>
                  )}
                  {canEdit && (
                    <button type="button" className="rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100" onClick={() => onRemove(tc.id)} aria-label={`Remove test case ${tc.name}`}>
                      Remove
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {canEdit && (
        <form onSubmit={submit} className="grid gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-2" aria-label="New test case">
          <label className="text-sm">
            Name
            <input name="name" className={input} placeholder="writes outside the jail need approval" />
          </label>
          <label className="text-sm">
            Tool
            <input name="tool" required className={input} placeholder="fs.write" />
          </label>
          <label className="text-sm sm:col-span-2">
            Arguments (JSON)
            <textarea name="arguments" rows={2} className={`${input} font-mono`} placeholder='{"path": "/etc/passwd"}' />
          </label>
          <label className="text-sm">
            Subject
            <input name="subject" className={input} placeholder="agent-42 (default: you)" />
          </label>
          <label className="text-sm">
            Roles (comma separated)
            <input name="roles" className={input} placeholder="agent" />
          </label>
          <label className="text-sm">
            Time (optional)
            <input name="at" className={input} placeholder="2026-11-21T10:00:00Z" />
          </label>
          <label className="text-sm">
            Expected decision
            <select name="decision" className={input} defaultValue="deny">
              <option value="allow">allow</option>
              <option value="deny">deny</option>
              <option value="approval">approval</option>
            </select>
          </label>
          <label className="text-sm sm:col-span-2">
            Expected rule (optional)
            <input name="rule" className={input} placeholder="the rule that must decide" />
          </label>
          {formError && (
            <p role="alert" className="text-sm text-red-700 sm:col-span-2">
              {formError}
            </p>
          )}
          <div className="sm:col-span-2">
            <button type="submit" className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-canopy-900">
              Add test case
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
