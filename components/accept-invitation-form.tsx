"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { acceptInvitationResultSchema } from "@/lib/access/schemas";
import { apiFetch } from "@/lib/console/api-fetch";

/**
 * Sets the invited person's password. The link's secret is in the URL fragment (never sent to the
 * server by the browser); it is read here and posted in the body, then removed from the address bar.
 */
export function AcceptInvitationForm() {
  const [token, setToken] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ email: string; tenant: string } | null>(null);
  const [pending, setPending] = useState(false);

  useEffect(() => {
    const secret = new URLSearchParams(window.location.hash.slice(1)).get("token");
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the fragment exists only in the browser
    setToken(secret);
    setReady(true);
    if (secret) window.history.replaceState(null, "", window.location.pathname);
  }, []);

  if (done) {
    return (
      <div role="status" className="space-y-3 text-sm">
        <p>Your password is set. Sign in with <strong className="break-all">{done.email}</strong> to reach {done.tenant}.</p>
        <Link href="/login" className="inline-block rounded-md bg-canopy-700 px-3 py-2 font-semibold text-white">Go to sign-in</Link>
      </div>
    );
  }
  if (ready && !token) {
    return <p role="alert" className="text-sm text-red-700">This page needs the whole invitation link, including the part after #. Ask your admin to send it again.</p>;
  }
  return (
    <form method="post" className="space-y-4" aria-label="Set your password"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        const password = String(form.get("password") ?? "");
        if (password !== String(form.get("confirm") ?? "")) {
          setError("The two passwords differ: type the same password twice.");
          return;
        }
        setPending(true);
        setError(null);
        try {
          const name = String(form.get("name") ?? "").trim();
          setDone(await apiFetch("/api/invitations/accept", (v) => acceptInvitationResultSchema.parse(v), { method: "POST", body: { token, password, ...(name ? { name } : {}) } }));
        } catch (err) {
          setError((err as Error).message);
        } finally {
          setPending(false);
        }
      }}>
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Your name (optional)</span>
        <input name="name" autoComplete="name" className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
      </label>
      <label className="block text-sm">
        <span className="font-medium text-slate-700">New password</span>
        <input name="password" type="password" autoComplete="new-password" required minLength={12} className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
      </label>
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Repeat the password</span>
        <input name="confirm" type="password" autoComplete="new-password" required minLength={12} className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
      </label>
      {error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <button type="submit" disabled={!ready || pending} className="w-full rounded-md bg-canopy-700 px-3 py-2 text-sm font-semibold text-white disabled:opacity-60">
        {pending ? "Saving…" : "Set password"}
      </button>
    </form>
  );
}
