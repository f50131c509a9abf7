import { z } from "zod";

/** PUT /api/account: the signed-in person's own name and password. */
export const accountPutBodySchema = z
  .strictObject({
    name: z.string().trim().min(1, "a name cannot be empty").max(200).nullable().optional(),
    current_password: z.string().max(200).optional(),
    new_password: z.string().min(12, "choose a password of at least 12 characters").max(200).optional(),
  })
  .refine((b) => b.name !== undefined || b.new_password !== undefined, { message: "change at least one of name or new_password" });
export type AccountPutBody = z.infer<typeof accountPutBodySchema>;

export const accountViewSchema = z.object({
  id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  has_password: z.boolean(),
  sso_linked: z.boolean(),
  tenants: z.array(z.object({ tenant: z.string(), roles: z.array(z.string()), groups: z.array(z.string()) })),
});
export type AccountView = z.infer<typeof accountViewSchema>;
