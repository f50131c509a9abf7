-- Break-glass activations of the ops tools (issue 16): while one is live (not ended, not past its
-- expiry), the tenant's callers hold the emergency role for ops policies. Bounded by
-- OPS_EMERGENCY_MAX_MINUTES at activation; at most one live activation per tenant.
CREATE TABLE "ops_emergency_grants" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "activated_by" TEXT NOT NULL,
    "activated_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "ended_at" TIMESTAMP(3),
    "ended_by" TEXT,
    CONSTRAINT "ops_emergency_grants_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ops_emergency_grants_scope_check" CHECK ("scope" IN ('tenant', 'platform')),
    CONSTRAINT "ops_emergency_grants_expiry_check" CHECK ("expires_at" > "activated_at")
);
CREATE INDEX "ops_emergency_grants_tenant_id_expires_at_idx" ON "ops_emergency_grants"("tenant_id", "expires_at");
ALTER TABLE "ops_emergency_grants" ADD CONSTRAINT "ops_emergency_grants_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
