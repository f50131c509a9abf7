/** Shapes of the break-glass API (/api/ops/emergency): zod only, safe in client components. */
import { z } from "zod";

const TenantSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: "tenant must be a tenant id such as demo-tenant" });

export const ActivateEmergencySchema = z.strictObject({
  reason: z.string().trim().min(10, { error: "reason must say why, in at least 10 characters (an incident id and what is down)" }).max(500, { error: "reason is longer than 500 characters" }),
  minutes: z.number({ error: "minutes must be a whole number of minutes" }).int({ error: "minutes must be a whole number of minutes" }).min(1, { error: "minutes is at least 1" }),
  /** A platform admin may activate for another tenant. */
  tenant: TenantSlug.optional(),
});
export const EndEmergencySchema = z.strictObject({ tenant: TenantSlug.optional() });

export const EmergencyViewSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  scope: z.enum(["tenant", "platform"]),
  reason: z.string(),
  activated_by: z.string(),
  activated_at: z.string(),
  expires_at: z.string(),
  ended_at: z.string().nullable(),
  ended_by: z.string().nullable(),
});
export const EmergencyStatusSchema = z.object({ active: EmergencyViewSchema.nullable(), max_minutes: z.number(), role: z.string(), recent: z.array(EmergencyViewSchema) });
export type EmergencyView = z.infer<typeof EmergencyViewSchema>;

