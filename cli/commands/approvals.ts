import { parseArgs } from "node:util";

const USAGE = `usage: canopy approvals wait ID [--timeout SECONDS] [--url URL] [--token TOKEN]

Waits for approval ID to leave pending (seed 000's wait_for_resolution(pid, timeout)): the server
holds the request open (GET /api/v1/approvals/ID/wait, woken by the same pub/sub as the gateway's
sync wait) and answers the moment approvers decide. Prints the final state as JSON.
  --timeout  seconds to wait, at most 60 (default 10)
  --url      the server (default CANOPY_URL, else http://localhost:$PORT)
  --token    a bearer token with approvals.read (default CANOPY_TOKEN, else TOKEN)
Exit codes: 0 approved (or already executed), 3 rejected, 4 expired, 5 still pending when the
timeout passed, 1 the server refused or could not be reached, 2 usage.`;

/** Exit code by outcome, documented above (and in the README). */
export const WAIT_EXIT: Record<string, number> = { approved: 0, executed: 0, rejected: 3, expired: 4, pending: 5 };

export async function approvalsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "wait") {
    process.stderr.write(`canopy approvals: ${sub ? `unknown subcommand "${sub}"` : "missing subcommand"}\n${USAGE}\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { timeout: { type: "string", default: "10" }, url: { type: "string" }, token: { type: "string" } } });
  } catch (e) {
    process.stderr.write(`canopy approvals wait: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const timeout = Number(values.timeout);
  if (positionals.length !== 1 || !Number.isFinite(timeout) || timeout < 0 || timeout > 60) {
    process.stderr.write(`canopy approvals wait: ${positionals.length !== 1 ? "expected exactly one approval ID" : `--timeout must be a number of seconds from 0 to 60 (got ${values.timeout})`}\n${USAGE}\n`);
    return 2;
  }
  const { env, envSecret } = await import("@/lib/env");
  const base = (values.url ?? envSecret("CANOPY_URL") ?? `http://localhost:${env().PORT}`).replace(/\/$/, "");
  const token = values.token ?? envSecret("CANOPY_TOKEN") ?? envSecret("TOKEN");
  if (!token) {
    process.stderr.write("canopy approvals wait: no token: pass --token or set CANOPY_TOKEN (or TOKEN, as seed 000 exports it)\n");
    return 2;
  }
  const url = `${base}/api/v1/approvals/${encodeURIComponent(positionals[0])}/wait?timeout=${timeout}`;
  let res: Response;
  try {
    // The server answers within the timeout; a little more for the round trip.
    res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, signal: AbortSignal.timeout((timeout + 15) * 1000) });
  } catch (e) {
    process.stderr.write(`canopy approvals wait: ${base} cannot be reached (${(e as Error).message})\n`);
    return 1;
  }
  const body = (await res.json().catch(() => null)) as { status?: string; error?: { code?: string; message?: string } } | null;
  if (!res.ok || !body?.status) {
    process.stderr.write(`canopy approvals wait: ${res.status} ${body?.error?.code ?? ""} ${body?.error?.message ?? "unexpected answer"}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  return WAIT_EXIT[body.status] ?? 1;
}
