"use client";

import { type FormEvent, useEffect, useState } from "react";
import { ApiErrorNote } from "@/components/policy-api-error";
import type { ApplyInput, ApplyResult, PolicyApiError, PromoteResult, Strategy } from "@/lib/console/policy-api";

export interface PolicyApplyPanelProps {
  draftText: string;
  /** The draft validates (apply refuses one that does not anyway). */
  draftValid: boolean;
  tenant: string;
  canApply: boolean;
  onApply: (input: ApplyInput) => void;
  pending: boolean;
  error: PolicyApiError | null;
  result: ApplyResult | null;
  /** The version the draft started from (sent as base_version). */
  baseVersion?: number | null;
  onPromote?: (input: { version?: number; message?: string }) => void;
  promote?: { pending: boolean; error: PolicyApiError | null; result: PromoteResult | null };
  onOpenDiff?: () => void;
  /** Present when the caller holds policies.sign and the server holds a key. */
  onSignWithServerKey?: (text: string) => Promise<{ signature: string; hash: string }>;
}

const input = "w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** SHA-256 of the exact bytes that are signed and applied (UTF-8 of the editor's text). */
function useSha256(text: string): string | null {
  const [hash, setHash] = useState<{ text: string; hex: string } | null>(null);
  useEffect(() => {
    let live = true;
    if (typeof crypto === "undefined" || !crypto.subtle) return;
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then((buf) => {
      if (live) setHash({ text, hex: [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("") });
    });
    return () => {
      live = false;
    };
  }, [text]);
  return hash && hash.text === text ? hash.hex : null;
}

/** Apply the draft: to every tenant, a canary percent, or explicit tenants; with a detached Ed25519 signature when the server requires one. */
export function PolicyApplyPanel({ draftText, draftValid, tenant, canApply, onApply, pending, error, result, baseVersion, onPromote, promote, onOpenDiff, onSignWithServerKey }: PolicyApplyPanelProps) {
  const [overrideReason, setOverrideReason] = useState("");
  const failing = error?.code === "test_cases_failed" ? ((error.details as { failing?: { name: string; message: string }[] } | undefined)?.failing ?? []) : [];
  const conflict = error?.code === "base_version_conflict" ? (error.details as { active_version: number | null; changes_since_base?: { headline: string } } | undefined) : undefined;
  const [strategy, setStrategy] = useState<Strategy>("explicit");
  const [percent, setPercent] = useState("10");
  const [tenants, setTenants] = useState(tenant);
  const [message, setMessage] = useState("");
  const [signature, setSignature] = useState("");
  const [fileNote, setFileNote] = useState<string | null>(null);
  const sha = useSha256(draftText);

  // The exact bytes to sign: the editor's text as UTF-8, no byte-order mark added.
  function downloadDraft() {
    const url = URL.createObjectURL(new Blob([draftText], { type: "application/yaml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "policy.yaml";
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  }

  if (!canApply) return <p className="text-sm text-slate-600">Applying needs the policies.apply permission (roles policy_author or admin).</p>;

  function submit(e: FormEvent) {
    e.preventDefault();
    onApply({
      policy: draftText,
      strategy,
      ...(strategy === "canary_percent" ? { canary_percent: Number(percent) } : {}),
      ...(strategy === "explicit" ? { tenants_csv: tenants } : {}),
      ...(message.trim() ? { message: message.trim() } : {}),
      ...(signature.trim() ? { signature: signature.trim() } : {}),
      ...(overrideReason.trim() ? { override_reason: overrideReason.trim() } : {}),
    });
  }

  const target = strategy === "all" ? "all tenants" : strategy === "canary_percent" ? `a ${percent || "?"}% canary` : `${tenants.split(",").filter((t) => t.trim()).length || "no"} pinned tenant(s)`;

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Apply the draft">
      <fieldset className="space-y-2">
        <legend className="text-sm font-semibold">Roll out to</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="strategy" value="explicit" checked={strategy === "explicit"} onChange={() => setStrategy("explicit")} />
          Explicit tenants (pinned)
        </label>
        {strategy === "explicit" && (
          <label className="ml-6 block text-sm">
            Tenants (comma separated)
            <input className={input} value={tenants} onChange={(e) => setTenants(e.target.value)} placeholder={tenant} />
          </label>
        )}
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="strategy" value="canary_percent" checked={strategy === "canary_percent"} onChange={() => setStrategy("canary_percent")} />
          Canary percent of tenants
        </label>
        {strategy === "canary_percent" && (
          <label className="ml-6 block text-sm">
            Percent (1–100)
            <input className={`${input} max-w-28`} type="number" min={1} max={100} value={percent} onChange={(e) => setPercent(e.target.value)} />
          </label>
        )}
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="strategy" value="all" checked={strategy === "all"} onChange={() => setStrategy("all")} />
          All tenants
        </label>
        <p className="text-xs text-slate-500">A canary or “all” reaches other tenants: only policy authors of the platform tenant may do that; any tenant may pin itself.</p>
      </fieldset>

      <label className="block text-sm">
        Message
        <input className={input} value={message} onChange={(e) => setMessage(e.target.value)} maxLength={2000} placeholder="why this change" />
      </label>

      <div className="space-y-2 rounded-md border border-slate-200 p-3">
        <p className="text-sm font-semibold">Signature</p>
        <p className="text-xs text-slate-600">
          When the server only runs signed policies, sign the exact bytes of the draft with your key (the server never sees it):{" "}
          <button type="button" onClick={downloadDraft} className="font-medium text-canopy-700 underline">
            download the draft
          </button>
          , then <code>npx canopy policy sign policy.yaml --private-key KEY</code> and paste or upload <code>policy.yaml.sig</code>.
        </p>
        <p className="break-all font-mono text-xs text-slate-500" data-testid="draft-sha256">
          sha256 {sha ?? "…"}
        </p>
        <label className="block text-sm">
          Detached signature (base64)
          <textarea className={`${input} font-mono`} rows={2} value={signature} onChange={(e) => setSignature(e.target.value)} placeholder="paste the content of policy.yaml.sig" />
        </label>
        <label className="block text-sm">
          or upload a .sig file
          <input
            type="file"
            accept=".sig,text/plain"
            className="mt-1 block text-sm"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (!f) return;
              if (f.size > 4096) {
                setFileNote(`${f.name} is ${f.size} bytes: a signature file is under 4 KB`);
                return;
              }
              setSignature((await f.text()).trim());
              setFileNote(`signature read from ${f.name}`);
            }}
          />
        </label>
        {onSignWithServerKey && (
          <button
            type="button"
            disabled={!draftValid}
            className="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 disabled:opacity-50"
            onClick={() =>
              onSignWithServerKey(draftText).then(
                (r) => {
                  setSignature(r.signature);
                  setFileNote(`signed by the server key on your behalf (audited), sha256 ${r.hash.slice(0, 12)}…`);
                },
                (err: Error) => setFileNote(`the server did not sign: ${err.message}`),
              )
            }
          >
            Sign with the server key
          </button>
        )}
        {fileNote && <p className="text-xs text-slate-600">{fileNote}</p>}
      </div>

      {error && <ApiErrorNote error={error} what="Apply" />}
      {failing.length > 0 && (
        <div className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="failing-test-cases">
          <p className="font-semibold">Failing test cases</p>
          <ul className="list-disc pl-5 text-xs">
            {failing.slice(0, 20).map((f) => (
              <li key={f.name}>
                {f.name}: {f.message}
              </li>
            ))}
          </ul>
          <label className="block text-sm">
            Apply anyway, because (audited)
            <input className={input} value={overrideReason} onChange={(e) => setOverrideReason(e.target.value)} maxLength={2000} placeholder="why these cases may fail" />
          </label>
        </div>
      )}
      {conflict && (
        <div className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="apply-conflict">
          <p>
            Your draft started from version {baseVersion ?? "none"}; version {conflict.active_version ?? "none"} became active since ({conflict.changes_since_base?.headline}). Merge its changes into your draft, then apply again.
          </p>
          {onOpenDiff && (
            <button type="button" className="mt-1 rounded-md border border-amber-400 px-2 py-0.5 text-xs" onClick={onOpenDiff}>
              Open the diff
            </button>
          )}
        </div>
      )}
      {result && (
        <div role="status" className="rounded-md border border-canopy-100 bg-canopy-50 p-3 text-sm text-canopy-900" data-testid="apply-result">
          <p className="font-semibold">
            Applied version {result.version.id}
            {result.version.reused ? " (reused)" : ""}: {result.headline}
          </p>
          <p>{result.why}.</p>
          <p>
            Risk {result.risk.level}
            {result.pinned.length > 0 && ` · pinned ${result.pinned.join(", ")}`}
            {result.canary && ` · canary ${result.canary.percent}%: ${result.canary.tenants.length} of ${result.canary.known_tenants} tenants`}
            {` · your tenant now runs version ${result.active_version ?? "—"}`}
          </p>
          <p>
            Test cases: {result.tests.passed} of {result.tests.total} pass
            {result.tests.overridden ? ` (${result.tests.failed} failing, applied anyway: “${result.tests.override_reason}”)` : ""}
          </p>
          {result.canary && onPromote && (
            <button
              type="button"
              disabled={promote?.pending}
              onClick={() => onPromote({ version: result.version.id, ...(message.trim() ? { message: `promote: ${message.trim()}` } : {}) })}
              className="mt-2 rounded-md border border-canopy-700 px-3 py-1 text-sm font-medium text-canopy-900 hover:bg-canopy-100 disabled:opacity-50"
            >
              {promote?.pending ? "Promoting…" : `Promote version ${result.version.id} to all tenants`}
            </button>
          )}
        </div>
      )}
      {promote?.error && <ApiErrorNote error={promote.error} what="Promote" />}
      {promote?.result && (
        <p role="status" className="rounded-md border border-canopy-100 bg-canopy-50 p-3 text-sm text-canopy-900" data-testid="promote-result">
          Promoted version {promote.result.version} from canary to all tenants: {promote.result.headline}
        </p>
      )}

      <button type="submit" disabled={pending || !draftValid} className="rounded-md bg-canopy-700 px-4 py-2 text-sm font-medium text-white hover:bg-canopy-900 disabled:opacity-50">
        {pending ? "Applying…" : `Apply to ${target}`}
      </button>
      {!draftValid && <p className="text-xs text-slate-600">The draft must validate before it can be applied.</p>}
    </form>
  );
}
