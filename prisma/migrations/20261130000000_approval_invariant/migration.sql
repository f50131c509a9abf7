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
