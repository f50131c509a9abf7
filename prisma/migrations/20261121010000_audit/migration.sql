-- Audit log: TRUNCATE bypasses row triggers, so the append-only rule needs statement triggers too.
CREATE TRIGGER "audit_records_no_truncate" BEFORE TRUNCATE ON "audit_records"
  FOR EACH STATEMENT EXECUTE FUNCTION "canopy_audit_immutable"();
CREATE TRIGGER "audit_checkpoints_no_truncate" BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION "canopy_audit_immutable"();

-- Search filters of the audit explorer, each ordered by seq for keyset pagination.
CREATE INDEX "audit_records_tenant_id_rule_seq_idx" ON "audit_records"("tenant_id", "rule", "seq");
CREATE INDEX "audit_records_tenant_id_kind_seq_idx" ON "audit_records"("tenant_id", "kind", "seq");
