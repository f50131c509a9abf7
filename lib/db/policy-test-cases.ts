import type { Prisma, PrismaClient } from "./generated/client";

export interface TestCaseRow {
  id: number;
  tenantId: string;
  name: string;
  scope: string;
  call: Prisma.JsonValue;
  context: Prisma.JsonValue;
  expectedDecision: string;
  expectedRule: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewTestCase {
  tenantId: string;
  name: string;
  scope: "tenant" | "platform";
  call: Prisma.InputJsonValue;
  context: Prisma.InputJsonValue;
  expectedDecision: string;
  expectedRule: string | null;
  createdBy: string;
}

export async function listTestCases(prisma: PrismaClient, tenantId: string, scope?: "tenant" | "platform"): Promise<TestCaseRow[]> {
  return prisma.policyTestCase.findMany({ where: { tenantId, ...(scope ? { scope } : {}) }, orderBy: { id: "asc" } });
}

export async function countTestCases(prisma: PrismaClient, tenantId: string) {
  return prisma.policyTestCase.count({ where: { tenantId } });
}

export async function getTestCase(prisma: PrismaClient, tenantId: string, id: number): Promise<TestCaseRow | null> {
  return prisma.policyTestCase.findFirst({ where: { tenantId, id } });
}

export async function findTestCaseByName(prisma: PrismaClient, tenantId: string, name: string): Promise<TestCaseRow | null> {
  return prisma.policyTestCase.findUnique({ where: { tenantId_name: { tenantId, name } } });
}

export async function createTestCase(prisma: PrismaClient, tc: NewTestCase): Promise<TestCaseRow> {
  return prisma.policyTestCase.create({ data: tc });
}

export async function updateTestCase(prisma: PrismaClient, tenantId: string, id: number, tc: Omit<NewTestCase, "tenantId" | "createdBy">): Promise<TestCaseRow | null> {
  const r = await prisma.policyTestCase.updateMany({ where: { tenantId, id }, data: tc });
  return r.count ? getTestCase(prisma, tenantId, id) : null;
}

/** Deletes one test case of the tenant; false when the tenant has no such case. */
export async function deleteTestCase(prisma: PrismaClient, tenantId: string, id: number): Promise<boolean> {
  const r = await prisma.policyTestCase.deleteMany({ where: { tenantId, id } });
  return r.count > 0;
}
