import { getDb } from "@/lib/db";
import { env } from "@/lib/env";
import { log } from "@/lib/log";
import { getSecrets } from "@/lib/secrets";
import { decisionOk, type JsonlSink, jsonlSink } from "./jsonl-sink";
import { AuditLog } from "./log";
import { type RedactionConfig, redactionConfig, Redactor } from "./redact";
import type { AuditInput, AuditRecordView } from "./schemas";

export { AuditLog, type AuditLogOptions, auditUnavailable } from "./log";
export { ChainVerifier, verifyChain, verifyRecords, type VerifyOptions } from "./verify";
export { verifyExportLines, EXPORT_FORMAT } from "./export-format";
export { recordHash, hashPayload, keyId, signCheckpoint, checkpointSignatureValid } from "./hash";
export { redact, redactionConfig, parseRedactKeys, isSensitiveKey, tenantRedactionKey, Redactor, RedactionScope, type RedactionConfig } from "./redact";
export * from "./schemas";
export { jsonlSink, decisionOk, type JsonlSink } from "./jsonl-sink";

const g = globalThis as { __canopyAudit?: AuditLog; __canopyRedaction?: RedactionConfig; __canopyRedactor?: Redactor; __canopyAuditFile?: JsonlSink | null };

/** AUDIT_PATH's JSON-lines copy of every record (null when unset). */
function auditFile(): JsonlSink | null {
  if (g.__canopyAuditFile === undefined) {
    const e = env();
    g.__canopyAuditFile = e.AUDIT_PATH ? jsonlSink(e.AUDIT_PATH, { maxBytes: e.JSONL_MAX_BYTES, log: log().child({ module: "audit-file" }) }) : null;
  }
  return g.__canopyAuditFile;
}

/** The redaction settings from AUDIT_REDACT_KEYS and AUDIT_REDACT_VALUE_PATTERNS (validated with the environment). */
export function redactionSettings(): RedactionConfig {
  const e = env();
  g.__canopyRedaction ??= redactionConfig(e.AUDIT_REDACT_KEYS, e.AUDIT_REDACT_VALUE_PATTERNS);
  return g.__canopyRedaction;
}

/** The process's redactor (server secret + settings): what the audit log, approvals and verdicts shown to callers use. */
export function redactor(): Redactor {
  g.__canopyRedactor ??= new Redactor(getSecrets().hmacSecret, redactionSettings());
  return g.__canopyRedactor;
}

/** The process's audit log: the app database, the server's audit key, settings from the environment. */
export function auditLog(): AuditLog {
  if (!g.__canopyAudit) {
    const e = env();
    const s = getSecrets();
    g.__canopyAudit = new AuditLog({
      db: getDb,
      privateKeyPem: s.auditPrivateKeyPem,
      publicKeyPem: s.auditPublicKeyPem,
      redactionSecret: s.hmacSecret,
      redaction: redactionSettings(),
      checkpointEvery: e.AUDIT_CHECKPOINT_EVERY,
      checkpointSeconds: e.AUDIT_CHECKPOINT_SECONDS,
      timeoutMs: e.AUDIT_APPEND_TIMEOUT_MS,
      onBackgroundError: (err, what) => log().error({ err }, `${what} failed`),
    });
  }
  return g.__canopyAudit;
}

/**
 * Appends one record to the tenant's chain and resolves once it is durable. Rejects with a 503
 * `audit_unavailable` AppError when the store fails or does not answer in AUDIT_APPEND_TIMEOUT_MS:
 * the caller must then refuse the action it was about to take (fail closed).
 */
export async function appendAudit(input: AuditInput): Promise<AuditRecordView> {
  const record = await auditLog().append(input);
  // After the durable append: the file is a copy for `tail -f | jq`, and never holds the caller up.
  auditFile()?.write({ ...record, ok: decisionOk(record.decision) });
  return record;
}
