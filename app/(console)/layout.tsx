import type { ReactNode } from "react";
import { ConsoleNav } from "@/components/console-nav";
import { requireConsoleUser } from "@/lib/console/session";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requireConsoleUser();
  return (
    <div className="min-h-screen md:flex">
      <ConsoleNav user={{ name: user.name, tenant: user.tenant, roles: user.roles }} />
      <main className="flex-1 p-4 md:p-8">{children}</main>
    </div>
  );
}
