"use client";

import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useEffect, useState } from "react";

/**
 * Password and SSO sign-in. The form is method="post" and its button stays disabled until the
 * page's script runs, so the browser can never fall back to a GET that puts the email and the
 * password in the URL (and the server's log). After signing in, the visitor lands on `next`
 * (a path of this site, checked by the server) with a relative navigation: same origin and port.
 */
export function LoginForm({ passwordLogin, oidc, next = "/" }: { passwordLogin: boolean; oidc: { name: string } | null; next?: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [hydrated, setHydrated] = useState(false);
  // eslint-disable-next-line react-hooks/set-state-in-effect -- enabling the form once the script runs is the point
  useEffect(() => setHydrated(true), []);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    const res = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (!res || res.error) {
      setError("Email or password is not right. Check both and try again.");
      return;
    }
    router.replace(next);
    router.refresh();
  }

  return (
    <div className="space-y-4">
      {passwordLogin && (
        <form method="post" action="/login" onSubmit={onSubmit} className="space-y-4" aria-label="Password sign-in">
          <div>
            <label htmlFor="email" className="block text-sm font-medium text-slate-700">Email</label>
            <input id="email" name="email" type="text" autoComplete="username" required
              className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-canopy-600 focus:outline-none focus:ring-2 focus:ring-canopy-600/30" />
          </div>
          <div>
            <label htmlFor="password" className="block text-sm font-medium text-slate-700">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required
              className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-canopy-600 focus:outline-none focus:ring-2 focus:ring-canopy-600/30" />
          </div>
          {error && <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
          <button type="submit" disabled={pending || !hydrated}
            className="w-full rounded-md bg-canopy-700 px-3 py-2 text-sm font-semibold text-white hover:bg-canopy-900 disabled:opacity-60">
            {pending ? "Signing in…" : "Sign in"}
          </button>
        </form>
      )}
      {oidc && (
        <button type="button" disabled={!hydrated} onClick={() => signIn("oidc", { callbackUrl: next })}
          className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-semibold hover:bg-slate-50 disabled:opacity-60">
          Continue with {oidc.name}
        </button>
      )}
      {!passwordLogin && !oidc && (
        <p role="alert" className="text-sm text-red-700">No sign-in method is configured. Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, or CANOPY_DEV_LOGIN=true.</p>
      )}
    </div>
  );
}
