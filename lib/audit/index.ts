
export { AuditLog, type AuditLogOptions, auditUnavailable } from "./log";
export { ChainVerifier, verifyChain, verifyRecords, type VerifyOptions } from "./verify";
export { verifyExportLines, EXPORT_FORMAT } from "./export-format";
export { recordHash, hashPayload, keyId, signCheckpoint, checkpointSignatureValid } from "./hash";
export { redact, redactionConfig, parseRedactKeys, isSensitiveKey, tenantRedactionKey, Redactor, RedactionScope, type RedactionConfig } from "./redact";
export * from "./schemas";
export { jsonlSink, decisionOk, type JsonlSink } from "./jsonl-sink";
