import type { ReactNode } from "react";
import { BreakGlassBanner } from "@/components/break-glass-banner";
import { ConsoleNav } from "@/components/console-nav";
import { requireConsoleUser } from "@/lib/console/session";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requireConsoleUser();
  return (
    <div className="min-h-screen md:flex">
      <ConsoleNav user={{ name: user.name, tenant: user.tenant, roles: user.roles }} />
      <main className="min-w-0 flex-1 p-4 md:p-8">
        {user.permissions.includes("ops.targets.read") && <BreakGlassBanner />}
        {children}
      </main>
    </div>
  );
}
