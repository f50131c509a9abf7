-- Execution targets of the ops built-in tools (issue 16): tenant-scoped, keyed by the target id
-- agents pass. Secrets are referenced by name (credential_ref, *_ref inside options), never stored.
CREATE TABLE "ops_targets" (
    "tenant_id" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "backend" TEXT NOT NULL,
    "address" TEXT,
    "port" INTEGER,
    "role" TEXT NOT NULL,
    "tags" TEXT[],
    "maintenance_windows" JSONB NOT NULL DEFAULT '[]',
    "credential_ref" TEXT,
    "options" JSONB NOT NULL DEFAULT '{}',
    "created_by" TEXT,
    "updated_by" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ops_targets_pkey" PRIMARY KEY ("tenant_id", "id"),
    CONSTRAINT "ops_targets_backend_check" CHECK ("backend" IN ('local', 'ssh', 'docker', 'proxmox')),
    CONSTRAINT "ops_targets_role_check" CHECK ("role" IN ('gateway', 'production', 'staging', 'development', 'testing', 'maintenance'))
);
CREATE INDEX "ops_targets_tenant_id_role_idx" ON "ops_targets"("tenant_id", "role");
ALTER TABLE "ops_targets" ADD CONSTRAINT "ops_targets_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
