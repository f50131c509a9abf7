/**
 * `make approvals-demo` (seed 004): files one demo approval on a running CanopyIQ so the inbox at
 * /ui/approvals has something to decide. It mints a short-lived agent token with the server's own
 * key (like `canopy mint-token`) and POSTs seed 000's `/approvals/create` body.
 *   node --import tsx scripts/approvals-demo.ts [URL]      (default http://localhost:3000)
 */
import { randomBytes } from "node:crypto";
import { tokenKeysOf } from "@/lib/auth/token-keys";
import { mintToken } from "@/lib/auth/tokens";
import { env } from "@/lib/env";
import { loadSecrets } from "@/lib/secrets";

async function main(): Promise<number> {
  const base = (process.argv[2] ?? `http://localhost:${env().PORT}`).replace(/\/$/, "");
  const tenant = env().CANOPY_DEMO_TENANT;
  const { token } = await mintToken({ tenant, subject: "demo-agent", roles: ["agent"], ttlSeconds: 600, now: Math.floor(Date.now() / 1000) }, tokenKeysOf(loadSecrets(env()), env()));
  const pendingId = `demo-${randomBytes(4).toString("hex")}`;
  let res: Response;
  try {
    res = await fetch(`${base}/approvals/create`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        pending_id: pendingId,
        tenant,
        subject: "demo-agent",
        tool: "fs.write",
        required_approvals: 2,
        args: { path: "/etc/hosts", content: "127.0.0.1 demo" },
        summary: "Demo: write to /etc/hosts by demo-agent",
      }),
    });
  } catch (err) {
    process.stderr.write(`approvals-demo: CanopyIQ is not answering at ${base} (${(err as Error).message}); start it with \`make run\` first\n`);
    return 1;
  }
  const body = (await res.json()) as { id?: string; status?: string; required_approvals?: number; approver_group?: string | null; error?: { message: string } };
  if (!res.ok) {
    process.stderr.write(`approvals-demo: ${res.status} ${body.error?.message ?? JSON.stringify(body)}\n`);
    return 1;
  }
  process.stdout.write(
    `created approval ${body.id} (${body.status}, needs ${body.required_approvals} approval(s)${body.approver_group ? ` from ${body.approver_group}` : ""})\n` +
      `open ${base}/ui/approvals to decide it (sign in as the admin printed at start)\n`,
  );
  return 0;
}

main().then((code) => (process.exitCode = code));
