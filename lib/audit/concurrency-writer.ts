/**
 * Test helper process: `tsx lib/audit/concurrency-writer.ts CONFIG.json` appends
 * writers × perWriter records to one tenant through its own AuditLog and connection pool, then
 * prints {"ok":true,"seqs":[...]} — concurrency.test.ts runs two of these at once.
 */
import { readFileSync } from "node:fs";
import { openDb } from "@/lib/db/client";
import { makeAuditLog } from "./testing";

interface Config {
  url: string;
  tenant: string;
  writers: number;
  perWriter: number;
  name: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8")) as Config;
const db = openDb({ url: cfg.url, poolSize: 8 });
const log = makeAuditLog(db, { privateKeyPem: cfg.privateKeyPem, publicKeyPem: cfg.publicKeyPem }, { checkpointEvery: 100, timeoutMs: 30_000 });
const seqs: number[] = [];
try {
  await Promise.all(
    Array.from({ length: cfg.writers }, async (_, w) => {
      for (let i = 0; i < cfg.perWriter; i++) {
        const r = await log.append({ tenant: cfg.tenant, kind: "tool_decision", subject: `${cfg.name}-w${w}`, tool: "fs.write", args: { i }, decision: "allow" });
        seqs.push(r.seq);
      }
    }),
  );
  process.stdout.write(`${JSON.stringify({ ok: true, seqs })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(err) })}\n`);
  process.exitCode = 1;
} finally {
  log.close();
  await db.prisma.$disconnect();
  await db.sql.close();
}
