import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { LoginForm } from "@/components/login-form";
import { authOptions } from "@/lib/auth/next-auth";
import { safeNextPath } from "@/lib/console/next-path";
import { env } from "@/lib/env";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  const session = await getServerSession(authOptions());
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
        <LoginForm passwordLogin={e.CANOPY_DEV_LOGIN} oidc={oidc} next={next} />
      </div>
    </main>
  );
}
