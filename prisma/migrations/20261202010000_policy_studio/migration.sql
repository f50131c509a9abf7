-- Policy studio (issue 11): named test cases per tenant, and drafts per author.
CREATE TABLE "policy_test_cases" (
    "id" SERIAL NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scope" TEXT NOT NULL DEFAULT 'tenant',
    "call" JSONB NOT NULL,
    "context" JSONB NOT NULL DEFAULT '{}',
    "expected_decision" TEXT NOT NULL,
    "expected_rule" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "policy_test_cases_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "policy_test_cases_scope_check" CHECK ("scope" IN ('tenant', 'platform')),
    CONSTRAINT "policy_test_cases_decision_check" CHECK ("expected_decision" IN ('allow', 'deny', 'approval'))
);
CREATE UNIQUE INDEX "policy_test_cases_tenant_id_name_key" ON "policy_test_cases"("tenant_id", "name");
ALTER TABLE "policy_test_cases" ADD CONSTRAINT "policy_test_cases_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "policy_drafts" (
    "tenant_id" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "base_version" INTEGER,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "policy_drafts_pkey" PRIMARY KEY ("tenant_id", "author")
);
ALTER TABLE "policy_drafts" ADD CONSTRAINT "policy_drafts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
