import { EventListeners } from "@/lib/events/listeners";

/** Membership and role changes, for the audit log (the composition root registers the listener). */
export type AccessEvent = {
  kind: "rbac_change";
  tenant: string;
  actor: string;
  user: string;
  before: { roles: string[]; groups: string[] } | null;
  after: { roles: string[]; groups: string[]; slack_user_id: string | null };
};

export class AccessEvents extends EventListeners<AccessEvent> {}
