-- CanopyIQ: the full database schema, generated from prisma/migrations by `npx canopy db sql`.
-- Do not edit: regenerate with `npm run db:sql` (a test fails when this file is out of date).
-- Apply with: psql "$DATABASE_URL" -f app/audit/migrate.sql   (the server also migrates at start).
-- Idempotent: migrations already applied (by this script or by the server) are skipped.

BEGIN;
SET LOCAL client_min_messages = warning;
DO $canopy_lock$ BEGIN PERFORM pg_advisory_xact_lock(7249082211359001); END $canopy_lock$;
CREATE TABLE IF NOT EXISTS "_canopy_migrations" (
  "name" TEXT PRIMARY KEY,
  "checksum" TEXT NOT NULL,
  "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "duration_ms" INTEGER NOT NULL
);

-- 20261121000000_init
DO $canopy_migration_0$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261121000000_init') THEN
    EXECUTE $canopy_sql_0$
-- CreateTable
CREATE TABLE "tenants" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "password_hash" TEXT,
    "slack_user_id" TEXT,
    "oidc_subject" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "roles" TEXT[],
    "groups" TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "memberships_pkey" PRIMARY KEY ("tenant_id","user_id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "roles" TEXT[],
    "name" TEXT,
    "token_hash" TEXT NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),
    "last_used_at" TIMESTAMP(3),
    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_versions" (
    "id" SERIAL NOT NULL,
    "yaml" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "signature" TEXT,
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "author" TEXT NOT NULL,
    "message" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_rollouts" (
    "id" SERIAL NOT NULL,
    "version_id" INTEGER NOT NULL,
    "strategy" TEXT NOT NULL,
    "canary_percent" INTEGER,
    "tenants" TEXT[],
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policy_rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tenant_policy_pins" (
    "tenant_id" TEXT NOT NULL,
    "version_id" INTEGER NOT NULL,
    "pinned_by" TEXT NOT NULL,
    "pinned_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tenant_policy_pins_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "approvals" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "tool" TEXT NOT NULL,
    "args_digest" TEXT NOT NULL,
    "args" JSONB NOT NULL,
    "summary" TEXT,
    "reason" TEXT,
    "rule" TEXT,
    "approver_group" TEXT,
    "required_approvals" INTEGER NOT NULL DEFAULT 1,
    "policy_version" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "trace_id" TEXT,
    "context" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "resolved_at" TIMESTAMP(3),
    "executed_at" TIMESTAMP(3),
    "slack_channel" TEXT,
    "slack_ts" TEXT,
    CONSTRAINT "approvals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "approval_votes" (
    "id" TEXT NOT NULL,
    "approval_id" TEXT NOT NULL,
    "approver" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "comment" TEXT,
    "signature" TEXT,
    "via" TEXT NOT NULL DEFAULT 'api',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "approval_votes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_records" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "trace_id" TEXT,
    "subject" TEXT,
    "tool" TEXT,
    "args_digest" TEXT,
    "args" JSONB,
    "decision" TEXT,
    "rule" TEXT,
    "reason" TEXT,
    "policy_version" INTEGER,
    "approval_id" TEXT,
    "latency_ms" DOUBLE PRECISION,
    "upstream_outcome" TEXT,
    "data" JSONB,
    CONSTRAINT "audit_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_chain_heads" (
    "tenant_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "audit_chain_heads_pkey" PRIMARY KEY ("tenant_id")
);

-- CreateTable
CREATE TABLE "audit_checkpoints" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "key_id" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "quotas" (
    "tenant_id" TEXT NOT NULL,
    "tool" TEXT NOT NULL DEFAULT '*',
    "requests_per_minute" INTEGER,
    "daily_budget_usd" DOUBLE PRECISION,
    "monthly_budget_usd" DOUBLE PRECISION,
    "max_concurrent" INTEGER,
    "updated_by" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "quotas_pkey" PRIMARY KEY ("tenant_id","tool")
);

-- CreateTable
CREATE TABLE "usage_counters" (
    "tenant_id" TEXT NOT NULL,
    "tool" TEXT NOT NULL DEFAULT '*',
    "window" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "cost_usd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "usage_counters_pkey" PRIMARY KEY ("tenant_id","tool","window")
);

-- CreateTable
CREATE TABLE "upstream_servers" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT,
    "name" TEXT NOT NULL,
    "transport" TEXT NOT NULL,
    "command" TEXT,
    "args" TEXT[],
    "env" JSONB,
    "cwd" TEXT,
    "url" TEXT,
    "headers" JSONB,
    "tool_mappings" JSONB,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "upstream_servers_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");
CREATE UNIQUE INDEX "users_slack_user_id_key" ON "users"("slack_user_id");
CREATE UNIQUE INDEX "users_oidc_subject_key" ON "users"("oidc_subject");
CREATE INDEX "memberships_user_id_idx" ON "memberships"("user_id");
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");
CREATE INDEX "api_tokens_tenant_id_subject_idx" ON "api_tokens"("tenant_id", "subject");
CREATE INDEX "policy_versions_hash_idx" ON "policy_versions"("hash");
CREATE INDEX "policy_rollouts_created_at_idx" ON "policy_rollouts"("created_at");
CREATE INDEX "approvals_tenant_id_status_created_at_idx" ON "approvals"("tenant_id", "status", "created_at");
CREATE INDEX "approvals_status_expires_at_idx" ON "approvals"("status", "expires_at");
CREATE UNIQUE INDEX "approval_votes_approval_id_approver_key" ON "approval_votes"("approval_id", "approver");
CREATE UNIQUE INDEX "audit_records_tenant_id_seq_key" ON "audit_records"("tenant_id", "seq");
CREATE UNIQUE INDEX "audit_records_tenant_id_prev_hash_key" ON "audit_records"("tenant_id", "prev_hash");
CREATE INDEX "audit_records_tenant_id_ts_idx" ON "audit_records"("tenant_id", "ts");
CREATE INDEX "audit_records_tenant_id_subject_seq_idx" ON "audit_records"("tenant_id", "subject", "seq");
CREATE INDEX "audit_records_tenant_id_tool_seq_idx" ON "audit_records"("tenant_id", "tool", "seq");
CREATE INDEX "audit_records_tenant_id_decision_seq_idx" ON "audit_records"("tenant_id", "decision", "seq");
CREATE INDEX "audit_records_trace_id_idx" ON "audit_records"("trace_id");
CREATE INDEX "audit_records_approval_id_idx" ON "audit_records"("approval_id");
CREATE UNIQUE INDEX "audit_checkpoints_tenant_id_seq_key" ON "audit_checkpoints"("tenant_id", "seq");
CREATE UNIQUE INDEX "upstream_servers_tenant_id_name_key" ON "upstream_servers"("tenant_id", "name");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "policy_rollouts" ADD CONSTRAINT "policy_rollouts_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "policy_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "tenant_policy_pins" ADD CONSTRAINT "tenant_policy_pins_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "tenant_policy_pins" ADD CONSTRAINT "tenant_policy_pins_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "policy_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "approval_votes" ADD CONSTRAINT "approval_votes_approval_id_fkey" FOREIGN KEY ("approval_id") REFERENCES "approvals"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "quotas" ADD CONSTRAINT "quotas_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The audit log is append-only: history cannot be rewritten through SQL either.
CREATE FUNCTION "canopy_audit_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only (% rejected)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_records_no_update" BEFORE UPDATE OR DELETE ON "audit_records"
  FOR EACH ROW EXECUTE FUNCTION "canopy_audit_immutable"();
CREATE TRIGGER "audit_checkpoints_no_update" BEFORE UPDATE OR DELETE ON "audit_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION "canopy_audit_immutable"();
$canopy_sql_0$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261121000000_init', 'cd4bf846d48c9347b75868e9bfe914884d23eebf8bc6237b0cdc81035570e8a4', 0);
  END IF;
END
$canopy_migration_0$;

-- 20261121010000_audit
DO $canopy_migration_1$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261121010000_audit') THEN
    EXECUTE $canopy_sql_1$
-- Audit log: TRUNCATE bypasses row triggers, so the append-only rule needs statement triggers too.
CREATE TRIGGER "audit_records_no_truncate" BEFORE TRUNCATE ON "audit_records"
  FOR EACH STATEMENT EXECUTE FUNCTION "canopy_audit_immutable"();
CREATE TRIGGER "audit_checkpoints_no_truncate" BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION "canopy_audit_immutable"();

-- Search filters of the audit explorer, each ordered by seq for keyset pagination.
CREATE INDEX "audit_records_tenant_id_rule_seq_idx" ON "audit_records"("tenant_id", "rule", "seq");
CREATE INDEX "audit_records_tenant_id_kind_seq_idx" ON "audit_records"("tenant_id", "kind", "seq");
$canopy_sql_1$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261121010000_audit', '4d6ede1dd572a7d25f641ab12f58663b520028663ac7eaa121a981c016dbe58c', 0);
  END IF;
END
$canopy_migration_1$;

-- 20261121020000_approvals
DO $canopy_migration_2$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261121020000_approvals') THEN
    EXECUTE $canopy_sql_2$
-- Who filed the request (the authenticated principal). It differs from "subject" (the agent the
-- approval is bound to) when an admin or a service files on an agent's behalf (seed 000 create).
ALTER TABLE "approvals" ADD COLUMN "requested_by" TEXT;
$canopy_sql_2$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261121020000_approvals', '6ae4b7ecc639406b30fc7512af9d10e2ee058cadeca91e5716e68f2aff5fe29b', 0);
  END IF;
END
$canopy_migration_2$;

-- 20261130000000_approval_invariant
DO $canopy_migration_3$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261130000000_approval_invariant') THEN
    EXECUTE $canopy_sql_3$
-- An approval unlocks a gated call only under the rule it was granted for: the SHA-256 of that
-- rule's canonical body (null for approvals no rule asked for). quorum_source says whether the
-- quorum and the approver group came from the rule or from whoever filed the request.
ALTER TABLE "approvals" ADD COLUMN "rule_hash" TEXT;
ALTER TABLE "approvals" ADD COLUMN "quorum_source" TEXT NOT NULL DEFAULT 'requester';

-- The Slack identity an approver votes with belongs to the membership (set by that tenant's
-- admin), never to the global user: one tenant's admin can no longer relink another tenant's
-- approvers. Existing links are copied to each membership of their user.
ALTER TABLE "memberships" ADD COLUMN "slack_team_id" TEXT;
ALTER TABLE "memberships" ADD COLUMN "slack_user_id" TEXT;
UPDATE "memberships" AS m SET "slack_user_id" = u."slack_user_id"
  FROM "users" AS u WHERE u."id" = m."user_id" AND u."slack_user_id" IS NOT NULL;
CREATE UNIQUE INDEX "memberships_tenant_id_slack_user_id_key" ON "memberships"("tenant_id", "slack_user_id");
DROP INDEX "users_slack_user_id_key";
ALTER TABLE "users" DROP COLUMN "slack_user_id";
$canopy_sql_3$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261130000000_approval_invariant', '8f4a3155950fd61558492ded3dd0cf492949034417d892b638601c2f0eca845b', 0);
  END IF;
END
$canopy_migration_3$;

-- 20261130010000_scoped_versions_and_tokens
DO $canopy_migration_4$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261130010000_scoped_versions_and_tokens') THEN
    EXECUTE $canopy_sql_4$
-- Policy versions belong to a tenant (tenant_id) or to the platform (NULL). Every version stored
-- before scopes existed becomes platform scope: they were rolled out fleet-wide or readable by all.
ALTER TABLE "policy_versions" ADD COLUMN "tenant_id" TEXT;
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "policy_versions_tenant_id_id_idx" ON "policy_versions"("tenant_id", "id");

-- Who revoked a token, and the tenant's token list in creation order.
ALTER TABLE "api_tokens" ADD COLUMN "revoked_by" TEXT;
CREATE INDEX "api_tokens_tenant_id_created_at_idx" ON "api_tokens"("tenant_id", "created_at");
$canopy_sql_4$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261130010000_scoped_versions_and_tokens', 'a3a3f0f794ff9599dd3e36e6e661a36ea8a067c326f992b3ea17b846ed562d44', 0);
  END IF;
END
$canopy_migration_4$;

-- 20261201020000_ops_targets
DO $canopy_migration_5$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261201020000_ops_targets') THEN
    EXECUTE $canopy_sql_5$
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
$canopy_sql_5$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261201020000_ops_targets', 'da6b24e33820ad6606a8c85829d0aa12d07e132475b2d97366f19effb7b6e305', 0);
  END IF;
END
$canopy_migration_5$;

-- 20261202010000_policy_studio
DO $canopy_migration_6$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261202010000_policy_studio') THEN
    EXECUTE $canopy_sql_6$
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
$canopy_sql_6$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261202010000_policy_studio', '9c2e8d35e99e18e65c47e9c4b69316eec725fdc6e8de6a910f644e4d3e214e95', 0);
  END IF;
END
$canopy_migration_6$;

-- 20261202030000_access_console
DO $canopy_migration_7$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261202030000_access_console') THEN
    EXECUTE $canopy_sql_7$
-- Invitations: a one-time link that lets an invited person set a password for the user a tenant
-- admin added. Only the SHA-256 of the link's token is stored; used_at makes it single use.
CREATE TABLE "invitations" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    CONSTRAINT "invitations_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "invitations_token_hash_key" ON "invitations"("token_hash");
CREATE INDEX "invitations_tenant_id_created_at_idx" ON "invitations"("tenant_id", "created_at");
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Tenants are suspended, never deleted: their audit chain is immutable.
ALTER TABLE "tenants" ADD COLUMN "suspended_at" TIMESTAMP(3);
ALTER TABLE "tenants" ADD COLUMN "suspended_by" TEXT;
$canopy_sql_7$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261202030000_access_console', 'a4dfc2a1498546f11558d0284a4bad5a81d6dfaa053dd99b06cb825f29a1b7af', 0);
  END IF;
END
$canopy_migration_7$;

-- 20261203000000_deployment_keys
DO $canopy_migration_8$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261203000000_deployment_keys') THEN
    EXECUTE $canopy_sql_8$
-- Fingerprints of the keys every replica must share (token and audit signing keys, HMAC_SECRET,
-- NEXTAUTH_SECRET), recorded by the first process that starts on this database. A replica whose
-- keys differ refuses to start instead of minting tokens and signatures the others reject.
-- Only fingerprints: SHA-256 of the public keys and HMACs of the secrets, never the secrets.
CREATE TABLE "deployment_keys" (
    "id" TEXT NOT NULL,
    "jwt_public_key_sha256" TEXT NOT NULL,
    "audit_public_key_sha256" TEXT NOT NULL,
    "hmac_secret_fingerprint" TEXT NOT NULL,
    "nextauth_secret_fingerprint" TEXT NOT NULL,
    "recorded_by" TEXT NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "deployment_keys_pkey" PRIMARY KEY ("id")
);
$canopy_sql_8$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261203000000_deployment_keys', '362c149d57bb49a5ce307f5c67ba9b73e3fd3a744bdb8e6e3f19c839ffcbc593', 0);
  END IF;
END
$canopy_migration_8$;

-- 20261203020000_audit_activity
DO $canopy_migration_9$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "_canopy_migrations" WHERE "name" = '20261203020000_audit_activity') THEN
    EXECUTE $canopy_sql_9$
-- Dashboard rollup. A 30-day aggregate read straight from audit_records scans every record of the
-- range (measured on 1,000,000 records: 335 ms for ONE aggregate with a covering index-only scan,
-- and the dashboard needs six), so each appended batch also adds its counts to hourly buckets here.
-- Derived data, outside the hash chain: it can be rebuilt from audit_records at any time
-- (canopy_audit_activity_rebuild). Appends of one tenant are serialized by its chain head lock,
-- so the upsert never contends with another writer of the same rows.
CREATE TABLE "audit_activity" (
    "tenant_id" TEXT NOT NULL,
    "dim" TEXT NOT NULL,
    "hour" TIMESTAMP(3) NOT NULL,
    "key" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    CONSTRAINT "audit_activity_pkey" PRIMARY KEY ("tenant_id", "dim", "hour", "key")
);

-- What one record counts for, per dimension: the decision series (an upstream failure is "error"),
-- calls per tool, denials per tool and per rule ('' when no rule decided), and latency histograms
-- in 10 % wide buckets (bucket k holds [1.1^k - 1, 1.1^(k+1) - 1) ms).
CREATE FUNCTION "canopy_audit_activity_keys"(kind TEXT, decision TEXT, tool TEXT, rule TEXT, outcome TEXT, latency_ms DOUBLE PRECISION)
RETURNS TABLE ("dim" TEXT, "key" TEXT) LANGUAGE sql IMMUTABLE AS $$
  SELECT v.dim, v.key FROM (VALUES
    ('series', CASE WHEN kind = 'tool_decision' THEN coalesce(decision, 'none')
                    WHEN kind = 'tool_result' AND outcome IS NOT NULL AND outcome <> 'ok' THEN 'error' END),
    ('tool', CASE WHEN kind = 'tool_decision' THEN coalesce(tool, '') END),
    ('deny_tool', CASE WHEN kind = 'tool_decision' AND decision = 'deny' THEN coalesce(tool, '') END),
    ('deny_rule', CASE WHEN kind = 'tool_decision' AND decision = 'deny' THEN coalesce(rule, '') END),
    ('lat_decision', CASE WHEN kind = 'tool_decision' AND latency_ms IS NOT NULL
                          THEN floor(ln(1 + greatest(latency_ms, 0)) / ln(1.1))::int::text END),
    ('lat_upstream', CASE WHEN kind = 'tool_result' AND latency_ms IS NOT NULL
                          THEN floor(ln(1 + greatest(latency_ms, 0)) / ln(1.1))::int::text END)
  ) AS v("dim", "key")
  WHERE v.key IS NOT NULL
$$;

CREATE FUNCTION "canopy_audit_activity_add"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "audit_activity" ("tenant_id", "dim", "hour", "key", "count")
  SELECT r."tenant_id", k."dim", date_trunc('hour', r."ts"), k."key", count(*)
  FROM "new_rows" r
  CROSS JOIN LATERAL "canopy_audit_activity_keys"(r."kind", r."decision", r."tool", r."rule", r."upstream_outcome", r."latency_ms") k
  GROUP BY 1, 2, 3, 4
  ON CONFLICT ("tenant_id", "dim", "hour", "key") DO UPDATE SET "count" = "audit_activity"."count" + EXCLUDED."count";
  RETURN NULL;
END;
$$;

CREATE TRIGGER "audit_records_activity" AFTER INSERT ON "audit_records"
  REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "canopy_audit_activity_add"();

-- Recomputes one tenant's rollup from its records (also the backfill below).
CREATE FUNCTION "canopy_audit_activity_rebuild"(tenant TEXT) RETURNS void LANGUAGE sql AS $$
  DELETE FROM "audit_activity" WHERE "tenant_id" = tenant;
  INSERT INTO "audit_activity" ("tenant_id", "dim", "hour", "key", "count")
  SELECT r."tenant_id", k."dim", date_trunc('hour', r."ts"), k."key", count(*)
  FROM "audit_records" r
  CROSS JOIN LATERAL "canopy_audit_activity_keys"(r."kind", r."decision", r."tool", r."rule", r."upstream_outcome", r."latency_ms") k
  WHERE r."tenant_id" = tenant AND r."kind" IN ('tool_decision', 'tool_result')
  GROUP BY 1, 2, 3, 4;
$$;

INSERT INTO "audit_activity" ("tenant_id", "dim", "hour", "key", "count")
SELECT r."tenant_id", k."dim", date_trunc('hour', r."ts"), k."key", count(*)
FROM "audit_records" r
CROSS JOIN LATERAL "canopy_audit_activity_keys"(r."kind", r."decision", r."tool", r."rule", r."upstream_outcome", r."latency_ms") k
WHERE r."kind" IN ('tool_decision', 'tool_result')
GROUP BY 1, 2, 3, 4;
$canopy_sql_9$;
    INSERT INTO "_canopy_migrations" ("name", "checksum", "duration_ms") VALUES ('20261203020000_audit_activity', 'b67dc5586c63a67543fed8875cb572de10cf48982e2a091e76b687455ed596bb', 0);
  END IF;
END
$canopy_migration_9$;

COMMIT;
