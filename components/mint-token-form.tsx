"use client";

import { useState } from "react";
import { useMintTokenMutation } from "@/lib/console/use-tokens-query";
import { CopyOnce } from "./copy-once";
import { RoleCheckboxes } from "./role-checkboxes";

const TTL_CHOICES = [
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 7 * 86_400, label: "7 days" },
  { seconds: 30 * 86_400, label: "30 days" },
  { seconds: 90 * 86_400, label: "90 days" },
  { seconds: 365 * 86_400, label: "365 days" },
];

/** Mints an agent token (subject, roles, lifetime up to the configured maximum); the token is shown this once. */
export function MintTokenForm({ maxTtlSeconds }: { maxTtlSeconds: number }) {
  const choices = TTL_CHOICES.filter((c) => c.seconds <= maxTtlSeconds);
  const [subject, setSubject] = useState("");
  const [name, setName] = useState("");
  const [roles, setRoles] = useState<string[]>(["agent"]);
  const [ttl, setTtl] = useState(choices[Math.min(1, choices.length - 1)]?.seconds ?? maxTtlSeconds);
  const mint = useMintTokenMutation();

  return (
    <section aria-label="Mint a token" className="rounded-xl border border-slate-200 bg-white p-4">
      <h2 className="text-base font-semibold">Mint a token</h2>
      <form className="mt-3 space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          mint.mutate({ subject: subject.trim(), roles: roles as never, ttl_seconds: ttl, ...(name.trim() ? { name: name.trim() } : {}) });
        }}>
        <label className="block text-sm">
          <span className="text-slate-600">Subject (the agent)</span>
          <input required value={subject} onChange={(e) => setSubject(e.target.value)} placeholder="agent-42"
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
        </label>
        <label className="block text-sm">
          <span className="text-slate-600">Name (optional)</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="CI runner"
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
        </label>
        <RoleCheckboxes legend="Roles" value={roles} onChange={setRoles} idPrefix="mint-role" />
        <label className="block text-sm">
          <span className="text-slate-600">Expires after</span>
          <select value={ttl} onChange={(e) => setTtl(Number(e.target.value))} className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm">
            {choices.map((c) => <option key={c.seconds} value={c.seconds}>{c.label}</option>)}
            {!choices.some((c) => c.seconds === maxTtlSeconds) && <option value={maxTtlSeconds}>{maxTtlSeconds} s (the maximum)</option>}
          </select>
        </label>
        <button type="submit" disabled={mint.isPending} className="rounded-md bg-canopy-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-canopy-900 disabled:opacity-60">
          {mint.isPending ? "Minting…" : "Mint token"}
        </button>
      </form>
      {mint.error && <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{mint.error.message}</p>}
      {mint.data && (
        <div className="mt-3">
          <CopyOnce label="New token" value={mint.data.token}
            note={`For ${mint.data.subject} (${mint.data.roles.join(", ")}). Copy it now: it is shown this once and only its hash is kept.`}
            onDone={() => mint.reset()} />
        </div>
      )}
    </section>
  );
}
