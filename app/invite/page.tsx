import type { Metadata } from "next";
import { AcceptInvitationForm } from "@/components/accept-invitation-form";

export const metadata: Metadata = { title: "Accept invitation" };

export default function InvitePage() {
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
        <p className="text-sm font-semibold tracking-wide text-canopy-700">CanopyIQ</p>
        <h1 className="mt-1 mb-4 text-2xl font-semibold">Accept your invitation</h1>
        <AcceptInvitationForm />
      </div>
    </main>
  );
}
