import { z } from "zod";
import { ROLES } from "@/lib/auth/rbac";

/** Tenant ids are slugs: they appear in URLs, Redis keys and audit chains. */
export const tenantIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a lowercase slug such as acme-prod (letters, digits, -; at most 63)");

export const createTenantBodySchema = z.strictObject({
  id: tenantIdSchema,
  name: z.string().trim().min(1).max(200).optional(),
});
export type CreateTenantBody = z.infer<typeof createTenantBodySchema>;

export const tenantViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
  /** Suspended tenants' credentials are refused; the tenant and its audit chain stay. */
  suspended_at: z.string().nullable(),
  suspended_by: z.string().nullable(),
});

/** PATCH /api/admin/tenants: suspend or resume a tenant, or rename it (platform admins). */
export const patchTenantBodySchema = z.strictObject({
  id: tenantIdSchema,
  suspended: z.boolean().optional(),
  name: z.string().trim().min(1).max(200).optional(),
}).refine((b) => b.suspended !== undefined || b.name !== undefined, { message: "give suspended and/or name" });
export type PatchTenantBody = z.infer<typeof patchTenantBodySchema>;

export const tenantActivityQuerySchema = z.object({
  minutes: z.coerce.number().int().min(5).max(1440).default(60),
  days: z.coerce.number().int().min(1).max(90).default(30),
});

export const tenantActivitySchema = z.object({
  tenant: z.string(),
  calls_per_minute: z.array(z.object({ at: z.string(), calls: z.number() })),
  daily_spend: z.array(z.object({ day: z.string(), usd: z.number(), requests: z.number() })),
  daily_budget_usd: z.number().nullable(),
});
export type TenantActivity = z.infer<typeof tenantActivitySchema>;
export type TenantView = z.infer<typeof tenantViewSchema>;

export const tenantListSchema = z.object({ tenants: z.array(tenantViewSchema) });

const groupName = z.string().regex(/^[A-Za-z0-9][\w.-]{0,62}$/, "expected a group name such as secops");

/**
 * `PUT /api/admin/rbac/{tenant}/users/{user}` (seed 000 §6C; only `roles` is required). Everything
 * here is the membership in {tenant} — except `email` and `name`, which are the user's global
 * identity: only the user themself or a platform admin may set them.
 */
export const memberPutBodySchema = z.strictObject({
  roles: z.array(z.enum(ROLES)).max(ROLES.length),
  groups: z.array(groupName).max(50).optional(),
  /** The Slack user this member votes as, in this tenant only (null unlinks). */
  slack_user_id: z.string().regex(/^[UW][A-Z0-9]{2,30}$/, "expected a Slack user id such as U024BE7LH").nullable().optional(),
  /** The Slack workspace of that user; when set, clicks from another workspace do not count. */
  slack_team_id: z.string().regex(/^[TE][A-Z0-9]{2,30}$/, "expected a Slack team id such as T024BE7LD").nullable().optional(),
  email: z.email().nullable().optional(),
  name: z.string().min(1).max(200).nullable().optional(),
});
export type MemberPutBody = z.infer<typeof memberPutBodySchema>;

export const memberViewSchema = z.object({
  tenant: z.string(),
  user: z.string(),
  roles: z.array(z.string()),
  groups: z.array(z.string()),
  slack_user_id: z.string().nullable(),
  slack_team_id: z.string().nullable(),
  /** Global identity: shown only to the user themself and to platform admins. */
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  created: z.boolean().optional(),
});
export type MemberView = z.infer<typeof memberViewSchema>;

/** How the user of a membership signs in (never the secret itself). */
export const memberListItemSchema = memberViewSchema.extend({
  login: z.enum(["password", "oidc", "password+oidc", "invited", "none"]),
  created_at: z.string(),
});
export type MemberListItem = z.infer<typeof memberListItemSchema>;

export const invitationViewSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  user: z.string(),
  email: z.string(),
  created_by: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
});
export type InvitationView = z.infer<typeof invitationViewSchema>;

export const memberListSchema = z.object({ members: z.array(memberListItemSchema), invitations: z.array(invitationViewSchema), truncated: z.boolean() });
export type MemberList = z.infer<typeof memberListSchema>;

export const memberListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(500) });

export const memberDeleteResultSchema = z.object({ tenant: z.string(), user: z.string(), removed: z.literal(true) });

/** POST /api/admin/rbac/{tenant}/invitations: adds a member by email and makes a one-time link to set a password. */
export const inviteBodySchema = z.strictObject({
  email: z.email("expected the invited person's email address").max(320).transform((e) => e.toLowerCase()),
  roles: z.array(z.enum(ROLES)).min(1, "give the new member at least one role").max(ROLES.length),
  groups: z.array(groupName).max(50).optional(),
  /** A seed 000 member added by id without a login: the invitation gives that user this email and a password. */
  user: z.string().regex(/^[\w.@+-]{1,200}$/, "expected a user id such as alice").optional(),
});
export type InviteBody = z.infer<typeof inviteBodySchema>;

export const inviteResultSchema = z.object({
  member: memberViewSchema,
  /** Null when the person already has a login (they can sign in now). */
  invitation: invitationViewSchema.extend({
    /** The one-time link, shown this once (no mail server is configured). The secret is in the fragment, never sent to a server log. */
    link: z.string(),
  }).nullable(),
  message: z.string(),
});
export type InviteResult = z.infer<typeof inviteResultSchema>;

/** POST /api/invitations/accept: the link's secret and the new password. */
export const acceptInvitationBodySchema = z.strictObject({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "expected the token from the invitation link"),
  password: z.string().min(12, "choose a password of at least 12 characters").max(200),
  name: z.string().trim().min(1).max(200).optional(),
});
export type AcceptInvitationBody = z.infer<typeof acceptInvitationBodySchema>;

export const acceptInvitationResultSchema = z.object({ user: z.string(), email: z.string(), tenant: z.string() });
