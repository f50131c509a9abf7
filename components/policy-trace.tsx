import type { ConditionTrace, TraceEntry } from "@/lib/console/policy-api";

function show(v: unknown): string {
  if (v === undefined) return "—";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 159)}…` : s;
}

function Held({ held }: { held: boolean | null }) {
  if (held === null) return <span className="text-slate-400" title="not evaluated: an earlier condition already failed">·</span>;
  return held ? <span className="text-canopy-700" aria-label="held">✓</span> : <span className="text-red-700" aria-label="did not hold">✗</span>;
}

function Conditions({ items, depth = 0 }: { items: ConditionTrace[]; depth?: number }) {
  if (items.length === 0) return <p className="text-xs text-slate-500">no conditions: the rule matches every call of its tools</p>;
  return (
    <ul className={depth ? "ml-4 border-l border-slate-200 pl-2" : ""}>
      {items.map((c, i) => (
        <li key={`${c.condition}-${i}`} className="py-0.5 text-xs">
          <Held held={c.held} /> <code className="font-semibold">{c.condition}</code>{" "}
          <span className="text-slate-600">
            expected <code className="break-all">{show(c.expected)}</code>, actual <code className="break-all">{show(c.actual)}</code>
          </span>
          {c.children && c.children.length > 0 && <Conditions items={c.children} depth={depth + 1} />}
        </li>
      ))}
    </ul>
  );
}

/** The engine's trace: each rule considered, each condition's expected and actual value and whether it held. */
export function PolicyTrace({ trace }: { trace: TraceEntry[] }) {
  if (trace.length === 0) return <p className="text-xs text-slate-500">No rule was considered for this tool.</p>;
  return (
    <ol className="space-y-2" aria-label="Trace">
      {trace.map((t, i) => (
        <li key={i} className="rounded border border-slate-200 bg-slate-50 p-2">
          {t.kind === "rule" && (
            <>
              <p className="text-xs">
                <span className={t.matched ? "font-semibold text-slate-900" : "text-slate-600"}>
                  #{t.index + 1} {t.name}
                </span>{" "}
                <span className="text-slate-500">
                  ({t.action}, match <code>{t.pattern}</code>) — {t.matched ? "matched" : "did not match"}
                  {t.unknown_cost ? `; unknown cost → ${t.unknown_cost}` : ""}
                </span>
              </p>
              <div className="mt-1">
                <Conditions items={t.conditions} />
              </div>
            </>
          )}
          {t.kind === "default" && (
            <p className="text-xs">
              <span className="font-semibold">default</span> → {t.decision}: <span className="text-slate-600">{t.reason}</span>
            </p>
          )}
          {t.kind === "error" && (
            <p className="text-xs text-red-700">
              error{t.rule ? ` in “${t.rule}”` : ""}: {t.message}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}
