import { z } from "zod";
import { ROLES } from "@/lib/auth/rbac";

/** POST /api/admin/tokens: a token for the caller's tenant. */
export const mintTokenBodySchema = z.strictObject({
  subject: z.string().trim().min(1, "subject is required, e.g. \"agent-42\"").max(200),
  roles: z
    .array(z.enum(ROLES, { error: `unknown role; known roles: ${ROLES.join(", ")}` }))
    .min(1, "at least one role is required")
    .max(ROLES.length)
    .transform((r) => [...new Set(r)]),
  /** At most CANOPY_TOKEN_MAX_TTL_SECONDS (checked by the service, which knows the configured maximum). */
  ttl_seconds: z.number().int("ttl_seconds must be a whole number of seconds").min(60, "ttl_seconds must be at least 60"),
  name: z.string().trim().min(1).max(200).optional(),
});
export type MintTokenBody = z.infer<typeof mintTokenBodySchema>;

export const tokenListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** next_cursor of the previous page. */
  cursor: z.string().max(300).optional(),
});
export type TokenListQuery = z.infer<typeof tokenListQuerySchema>;

/** A token as listed: never the token itself nor its hash. */
export const tokenViewSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  subject: z.string(),
  roles: z.array(z.string()),
  name: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked: z.boolean(),
  revoked_at: z.string().nullable(),
  revoked_by: z.string().nullable(),
  expired: z.boolean(),
});
export type TokenView = z.infer<typeof tokenViewSchema>;

export const tokenListSchema = z.object({ tokens: z.array(tokenViewSchema), next_cursor: z.string().nullable() });

/** The answer to a mint: the token, shown this once. */
export const mintedTokenSchema = tokenViewSchema.extend({ token: z.string() });

export const revokedTokenSchema = z.object({ token: tokenViewSchema, already_revoked: z.boolean() });
