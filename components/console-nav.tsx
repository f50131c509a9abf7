"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import { useState } from "react";

const LINKS = [
  { href: "/", label: "Dashboard" },
  { href: "/policies", label: "Policies" },
  { href: "/approvals", label: "Approvals" },
  { href: "/audit", label: "Audit" },
  { href: "/ops/targets", label: "Targets" },
  { href: "/access", label: "Access" },
  { href: "/access/tokens", label: "API tokens" },
  { href: "/tenants", label: "Tenants" },
  { href: "/account", label: "Account" },
];

/** The most specific link that contains the current path (so /access/tokens is not also "Access"). */
function activeHref(pathname: string): string | undefined {
  return LINKS.map((l) => l.href)
    .filter((h) => (h === "/" ? pathname === "/" : pathname === h || pathname.startsWith(`${h}/`)))
    .sort((a, b) => b.length - a.length)[0];
}

export function ConsoleNav({ user }: { user: { name: string; tenant: string | null; roles: string[] } }) {
  const pathname = usePathname();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  return (
    <header className="border-b border-slate-200 bg-white md:min-h-screen md:w-60 md:border-b-0 md:border-r">
      <div className="flex items-center justify-between px-4 py-3 md:block md:py-5">
        <Link href="/" className="text-lg font-semibold text-canopy-700">CanopyIQ</Link>
        <button type="button" className="rounded-md border border-slate-300 px-2 py-1 text-sm md:hidden"
          aria-expanded={open} aria-controls="console-nav" onClick={() => setOpen((o) => !o)}>
          Menu
        </button>
      </div>
      <nav id="console-nav" aria-label="Main" className={`${open ? "block" : "hidden"} px-2 pb-3 md:block`}>
        <ul className="space-y-1">
          {LINKS.map((l) => {
            const active = activeHref(pathname) === l.href;
            return (
              <li key={l.href}>
                <Link href={l.href} aria-current={active ? "page" : undefined} onClick={() => setOpen(false)}
                  className={`block rounded-md px-3 py-2 text-sm font-medium ${active ? "bg-canopy-50 text-canopy-900" : "text-slate-700 hover:bg-slate-100"}`}>
                  {l.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="mt-6 border-t border-slate-200 px-3 pt-4 text-sm">
          <p className="font-medium" data-testid="signed-in-user">{user.name}</p>
          <p className="text-slate-600">{user.tenant ?? "no tenant"}{user.roles.length > 0 && ` · ${user.roles.join(", ")}`}</p>
          <button type="button" onClick={async () => {
              // Not next-auth's redirect: it builds an absolute URL from NEXTAUTH_URL (localhost:3000
              // when unset). A relative navigation stays on the origin and port in the address bar.
              await signOut({ redirect: false });
              router.replace("/login");
              router.refresh();
            }}
            className="mt-3 rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50">
            Sign out
          </button>
        </div>
      </nav>
    </header>
  );
}
