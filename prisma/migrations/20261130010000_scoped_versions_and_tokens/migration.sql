-- Policy versions belong to a tenant (tenant_id) or to the platform (NULL). Every version stored
-- before scopes existed becomes platform scope: they were rolled out fleet-wide or readable by all.
ALTER TABLE "policy_versions" ADD COLUMN "tenant_id" TEXT;
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "policy_versions_tenant_id_id_idx" ON "policy_versions"("tenant_id", "id");

-- Who revoked a token, and the tenant's token list in creation order.
ALTER TABLE "api_tokens" ADD COLUMN "revoked_by" TEXT;
CREATE INDEX "api_tokens_tenant_id_created_at_idx" ON "api_tokens"("tenant_id", "created_at");
