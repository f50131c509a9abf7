import { z } from "zod";
import { testCaseInputSchema } from "@/lib/policy";

export const TEST_CASE_SCOPES = ["tenant", "platform"] as const;
export type TestCaseScope = (typeof TEST_CASE_SCOPES)[number];

/** POST/PUT /api/v1/policy/test-cases: a test case and its scope (default: the caller's tenant). */
export const testCaseBodySchema = testCaseInputSchema.extend({
  scope: z.enum(TEST_CASE_SCOPES, { error: "scope must be tenant or platform" }).default("tenant"),
});
export type TestCaseBody = z.infer<typeof testCaseBodySchema>;

export const testCaseListQuerySchema = z.object({ scope: z.enum(TEST_CASE_SCOPES).optional() });

export const testCaseIdSchema = z.coerce.number({ error: "the test case id is a number" }).int().positive();

export const testCaseViewSchema = testCaseBodySchema.extend({
  id: z.number(),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const testCaseListSchema = z.object({ test_cases: z.array(testCaseViewSchema) });

/** The gate's report in an apply answer. */
export const testGateSchema = z.object({
  total: z.number(),
  passed: z.number(),
  failed: z.number(),
  overridden: z.boolean(),
  override_reason: z.string().nullable(),
  failing: z.array(z.object({ name: z.string(), message: z.string() })),
});
