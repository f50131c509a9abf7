-- Who filed the request (the authenticated principal). It differs from "subject" (the agent the
-- approval is bound to) when an admin or a service files on an agent's behalf (seed 000 create).
ALTER TABLE "approvals" ADD COLUMN "requested_by" TEXT;
