import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { LoginForm } from "@/components/login-form";
import { services } from "@/lib/server";
import { safeNextPath } from "@/lib/console/next-path";
import { env } from "@/lib/env";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[]; error?: string | string[] }> }) {
  const params = await searchParams;
  const next = safeNextPath(params.next);
  const error = typeof params.error === "string" ? params.error : null;
  const session = await getServerSession(services().authOptions);
  if (session?.user?.id) redirect(next);
  const e = env();
  const oidc = e.OIDC_ISSUER ? { name: e.OIDC_NAME } : null;
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
        <div className="mb-6">
          <p className="text-sm font-semibold tracking-wide text-canopy-700">CanopyIQ</p>
          <h1 className="mt-1 text-2xl font-semibold">Sign in to the console</h1>
          <p className="mt-1 text-sm text-slate-600">Govern what your AI agents may do with their tools.</p>
        </div>
        {error && (
          <p role="alert" className="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
            {error === "AccessDenied"
              ? "Single sign-on was refused: there is no account for this identity. Ask an admin to invite your (verified) email."
              : "Sign-in failed. Try again, or ask an admin."}
          </p>
        )}
        <LoginForm passwordLogin={e.CANOPY_DEV_LOGIN} oidc={oidc} next={next} />
      </div>
    </main>
  );
}
