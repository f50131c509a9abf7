/**
 * Shapes of the targets API (/api/ops/targets), shared by the route handlers, the OpenAPI
 * document and the console's hooks (zod and pure modules only: safe in client components).
 */
import { z } from "zod";
import { TargetId } from "./catalog/params";
import { BACKENDS, TARGET_ROLES } from "./types";

export const TargetListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1, { error: "limit is at least 1" }).max(200, { error: "limit is at most 200" }).default(100),
  after: TargetId.optional(),
});

export const TargetIdParamSchema = z.strictObject({ id: TargetId });

export const OpsActionSchema = z.object({
  seq: z.number(),
  ts: z.string(),
  kind: z.string(),
  tool: z.string(),
  subject: z.string().nullable(),
  decision: z.string().nullable(),
  rule: z.string().nullable(),
  outcome: z.string().nullable(),
  exit_code: z.number().nullable(),
  duration_ms: z.number().nullable(),
});

export const TargetViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  backend: z.enum(BACKENDS),
  address: z.string().nullable(),
  port: z.number().nullable(),
  role: z.enum(TARGET_ROLES),
  tags: z.array(z.string()),
  maintenance_windows: z.array(z.object({ days: z.array(z.number()), start: z.string(), end: z.string(), timezone: z.string() })),
  maintenance_window_now: z.enum(["inside", "outside", "none"]),
  credential_ref: z.string().nullable().describe("The name of the secret holding the credential; never its value"),
  options: z.record(z.string(), z.unknown()),
  created_by: z.string().nullable(),
  updated_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const TargetListItemSchema = z.union([
  TargetViewSchema.extend({ last_actions: z.array(OpsActionSchema) }),
  z.object({ id: z.string(), name: z.string(), backend: z.string(), role: z.string(), misconfigured: z.string(), last_actions: z.array(OpsActionSchema) }),
]);
export const TargetListSchema = z.object({ targets: z.array(TargetListItemSchema), next_after: z.string().nullable() });
export const ConnectivitySchema = z.object({ ok: z.boolean(), backend: z.enum(BACKENDS), target: z.string(), latency_ms: z.number(), details: z.record(z.string(), z.unknown()), error: z.string().optional() });

export type TargetListItem = z.infer<typeof TargetListItemSchema>;
export type OpsAction = z.infer<typeof OpsActionSchema>;
export type TargetView = z.infer<typeof TargetViewSchema>;
export type Connectivity = z.infer<typeof ConnectivitySchema>;

