import { z } from "zod";

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
});
export type TenantView = z.infer<typeof tenantViewSchema>;

export const tenantListSchema = z.object({ tenants: z.array(tenantViewSchema) });
