import type { Metadata } from "next";
import { AccountPanel } from "@/components/account-panel";
import { PageHeader } from "@/components/page-header";

export const metadata: Metadata = { title: "Account" };

export default function Page() {
  return (
    <>
      <PageHeader title="Account" description="Your own name and password, and where you hold roles." />
      <AccountPanel />
    </>
  );
}
