import type { KeyObject } from "node:crypto";
import { type AuditRecordView, auditRecordSchema, type CheckpointView, checkpointSchema, type VerifyResult } from "./schemas";
import { ChainVerifier } from "./verify";

/**
 * The JSONL export: one JSON object per line, in this order
 *   {"type":"header", format, version, tenant, exported_at, key_id, partial, filters}
 *   {"type":"checkpoint", tenant, seq, hash, at, key_id, signature}      (every stored checkpoint)
 *   {"type":"record", tenant, seq, prev_hash, hash, kind, ts, …}         (ascending seq)
 *   {"type":"head", tenant, seq, hash, at, key_id, signature}            (signed at export time)
 * so a file verifies offline with nothing but the audit public key: the records recompute their
 * hashes and links, the checkpoints and the signed head prove nothing was cut off or rewritten.
 */
export const EXPORT_FORMAT = "canopyiq-audit-export";

export interface ExportHeader {
  type: "header";
  format: typeof EXPORT_FORMAT;
  version: 1;
  tenant: string;
  exported_at: string;
  key_id: string;
  partial: boolean;
  filters: Record<string, unknown>;
}

export const headerLine = (h: Omit<ExportHeader, "type" | "format" | "version">) =>
  `${JSON.stringify({ type: "header", format: EXPORT_FORMAT, version: 1, ...h })}\n`;
export const checkpointLine = (c: CheckpointView) => `${JSON.stringify({ type: "checkpoint", ...c })}\n`;
export const recordLine = (r: AuditRecordView) => `${JSON.stringify({ type: "record", ...r })}\n`;
export const headLine = (h: CheckpointView) => `${JSON.stringify({ type: "head", ...h })}\n`;

function strip<T extends { type?: unknown }>(o: T): Omit<T, "type"> {
  const { type: _type, ...rest } = o;
  return rest;
}

/** Verifies an export from its lines (a file read line by line, or an array). */
export async function verifyExportLines(
  lines: Iterable<string> | AsyncIterable<string>,
  publicKeys: (string | KeyObject)[],
): Promise<VerifyResult & { tenant: string | null }> {
  let header: ExportHeader | null = null;
  const checkpoints: CheckpointView[] = [];
  let verifier: ChainVerifier | null = null;
  let lineNo = 0;
  let head: CheckpointView | null = null;
  const malformed = (message: string): VerifyResult => ({ ok: false, tenant: header?.tenant ?? null, count: 0, seq: 0, problem: "malformed", message });
  const start = () => {
    verifier = new ChainVerifier({ publicKeys, checkpoints, tenant: header!.tenant, partial: header!.partial });
    return verifier;
  };
  for await (const raw of lines as AsyncIterable<string>) {
    lineNo++;
    const line = raw.trim();
    if (!line) continue;
    let obj: { type?: string } & Record<string, unknown>;
    try {
      obj = JSON.parse(line);
    } catch {
      return malformed(`line ${lineNo} is not JSON`);
    }
    if (!header) {
      if (obj.type !== "header" || obj.format !== EXPORT_FORMAT) return malformed(`line ${lineNo}: expected the ${EXPORT_FORMAT} header first`);
      header = obj as unknown as ExportHeader;
      continue;
    }
    if (head) return malformed(`line ${lineNo}: nothing may follow the signed head`);
    if (obj.type === "record") {
      // Records are trusted as parsed: a cheap shape check, the hash does the rest.
      if (typeof obj.seq !== "number" || typeof obj.hash !== "string" || typeof obj.prev_hash !== "string") {
        const parsed = auditRecordSchema.safeParse(strip(obj));
        if (!parsed.success) return malformed(`line ${lineNo} is not an audit record: ${parsed.error.issues[0]?.message}`);
      }
      const v: ChainVerifier = verifier ?? start();
      v.push(strip(obj) as unknown as AuditRecordView);
      if (v.done) return v.finish();
    } else if (obj.type === "checkpoint") {
      if (verifier) return malformed(`line ${lineNo}: checkpoint lines must come before the records`);
      const c = checkpointSchema.safeParse(strip(obj));
      if (!c.success) return malformed(`line ${lineNo} is not a checkpoint: ${c.error.issues[0]?.message}`);
      checkpoints.push(c.data);
    } else if (obj.type === "head") {
      const c = checkpointSchema.safeParse(strip(obj));
      if (!c.success) return malformed(`line ${lineNo} is not a signed head: ${c.error.issues[0]?.message}`);
      head = c.data;
    } else {
      return malformed(`line ${lineNo}: unknown line type ${JSON.stringify(obj.type)}`);
    }
  }
  if (!header) return malformed("the file is empty: no export header");
  const v: ChainVerifier = verifier ?? start();
  if (!head && !header.partial) {
    const r = v.finish();
    if (!r.ok) return r;
    return { ok: false, tenant: r.tenant, count: r.count, seq: r.head_seq + 1, problem: "truncated", message: `the export has no signed head line after record ${r.head_seq}: it was cut short` };
  }
  if (head) v.setHead(head);
  return v.finish();
}
