import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { VerifyResult } from "@/lib/audit/schemas";

const USAGE = `usage:
  canopy audit verify [--tenant T] [--public-key K] [--json]      verify chains in the database (every tenant without --tenant)
  canopy audit verify --from-export FILE --public-key K [--json]  verify an export offline (no database, no server)
  canopy audit export --tenant T [--out FILE] [--from ISO] [--to ISO] [--tool GLOB] [--subject S] [--decision D]
  canopy audit checkpoints --tenant T [--after SEQ] [--limit N]
K is the audit public key: a PEM file, or PEM / base64 text (GET /api/v1/audit/checkpoints shows it).
`;

function parseFlags(argv: string[]): { positional: string[]; flags: Record<string, string | true> } {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (inline !== undefined) flags[k] = inline;
    else if (argv[i + 1] !== undefined && !/^--[a-z]/.test(argv[i + 1])) flags[k] = argv[++i];
    else flags[k] = true;
  }
  return { positional, flags };
}

/** A PEM file, PEM text, or the base64 body of a PEM. */
export function readPublicKey(k: string): string {
  const text = existsSync(k) ? readFileSync(k, "utf8") : k;
  const t = text.trim();
  if (t.startsWith("-----BEGIN")) return `${t}\n`;
  const body = t.replace(/\s+/g, "").match(/.{1,64}/g)?.join("\n") ?? "";
  return `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`;
}

function report(r: VerifyResult, json: boolean, label: string) {
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else if (r.ok) {
    process.stdout.write(`OK ${label}: ${r.count} records verified up to seq ${r.head_seq}, ${r.checkpoints_verified} signed checkpoints${r.partial ? " (partial export: only the records present were checked)" : ""}\n`);
  } else {
    process.stdout.write(`BROKEN ${label}: seq ${r.seq}: ${r.problem}: ${r.message}\n`);
  }
}

const str = (v: string | true | undefined) => (typeof v === "string" ? v : undefined);

/** `canopy audit …`: verify (database or offline export), export, checkpoints. */
export async function auditCommand(argv: string[]): Promise<number> {
  const { positional, flags } = parseFlags(argv);
  const sub = positional[0];
  const json = flags.json === true;
  if (sub === "verify" && flags["from-export"]) {
    const file = str(flags["from-export"]);
    const key = str(flags["public-key"]);
    if (!file || !key) {
      process.stderr.write(`canopy audit verify --from-export needs FILE and --public-key K\n\n${USAGE}`);
      return 2;
    }
    const { verifyExportLines } = await import("@/lib/audit/export-format");
    const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
    const r = await verifyExportLines(lines, [readPublicKey(key)]);
    lines.close();
    report(r, json, `${file}${r.tenant ? ` (tenant ${r.tenant})` : ""}`);
    return r.ok ? 0 : 1;
  }
  if (sub !== "verify" && sub !== "export" && sub !== "checkpoints") {
    process.stderr.write(USAGE);
    return 2;
  }
  const tenant = str(flags.tenant);
  if ((sub === "export" || sub === "checkpoints") && !tenant) {
    process.stderr.write(`canopy audit ${sub} needs --tenant T\n\n${USAGE}`);
    return 2;
  }
  const { createServices } = await import("@/lib/server/services");
  const { env } = await import("@/lib/env");
  const svc = createServices(env());
  const log = svc.audit;
  const db = await svc.db();
  try {
    if (sub === "verify") {
      const { listAuditTenants } = await import("@/lib/db/audit-records");
      const tenants = tenant ? [tenant] : await listAuditTenants(db);
      const key = str(flags["public-key"]);
      let ok = true;
      if (tenants.length === 0) process.stdout.write("no audit chains in the database\n");
      for (const t of tenants) {
        const r = await log.verify(t, key ? { publicKeys: [readPublicKey(key)] } : {});
        report(r, json, `tenant ${t}`);
        ok &&= r.ok;
      }
      return ok ? 0 : 1;
    }
    if (sub === "export") {
      const { auditFilterSchema } = await import("@/lib/audit/schemas");
      const filter = auditFilterSchema.parse({
        tenant, from: str(flags.from), to: str(flags.to), tool: str(flags.tool), subject: str(flags.subject), decision: str(flags.decision),
      });
      const outPath = str(flags.out);
      const out = outPath ? createWriteStream(outPath) : process.stdout;
      let records = 0;
      for await (const chunk of log.exportLines(tenant!, filter)) {
        records += chunk.split('{"type":"record"').length - 1;
        if (!out.write(chunk)) await once(out, "drain");
      }
      if (outPath) {
        (out as ReturnType<typeof createWriteStream>).end();
        await once(out, "finish");
        process.stderr.write(`wrote ${records} records of tenant ${tenant} to ${outPath}\n`);
      }
      return 0;
    }
    const after = str(flags.after);
    const cps = await log.checkpoints(tenant!, { after: after ? Number(after) : undefined, limit: Number(str(flags.limit) ?? 100) });
    for (const c of cps) process.stdout.write(`${JSON.stringify(c)}\n`);
    return 0;
  } finally {
    await svc.close();
  }
}
