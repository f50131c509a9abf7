import { ESLint } from "eslint";
import { describe, expect, test } from "vitest";

/**
 * Each house rule fires on a sample violation in the place it guards, and stays quiet where the
 * same code is allowed: the rules are ESLint's (eslint.config.mjs), run through its API on
 * snippets linted as if they were the named files.
 */

const eslint = new ESLint({ cwd: process.cwd() });
// The first lint loads the whole config (Next.js and typescript-eslint plugins): slow on a busy machine.
const LOAD_TIMEOUT_MS = 120_000;

async function lint(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax").map((m) => m.message);
}

describe("house rules fire on violations", () => {
  test.each([
    ["Prisma outside lib/db", "lib/access/sample.ts", `import { PrismaClient } from "@prisma/client";\nexport const c = PrismaClient;\n`, /Only lib\/db imports Prisma/],
    ["the generated client outside lib/db", "app/api/sample/route.ts", `import { PrismaClient } from "@/lib/db/generated/client";\nexport const c = PrismaClient;\n`, /Only lib\/db imports Prisma/],
    ["process.env outside lib/env.ts", "lib/quota/sample.ts", `export const url = process.env.REDIS_URL;\n`, /Only lib\/env.ts reads process.env/],
    ["process.env in a route handler", "app/api/sample/route.ts", `export const url = process.env.DATABASE_URL;\n`, /Only lib\/env.ts reads process.env/],
    ["fs in the policy engine", "lib/policy/sample.ts", `import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n`, /are pure/],
    ["next in the policy engine", "lib/policy/sample.ts", `import { NextResponse } from "next/server";\nexport const r = NextResponse;\n`, /are pure/],
    ["the database in the approval state machine", "lib/approvals/state-machine.ts", `import { openDb } from "@/lib/db";\nexport const o = openDb;\n`, /are pure/],
    ["Date.now() in the policy engine", "lib/policy/sample.ts", `export const t = () => Date.now();\n`, /no clock/],
    ["new Date() in the approval state machine", "lib/approvals/state-machine.ts", `export const t = () => new Date();\n`, /no clock/],
    ["fetch in the policy engine", "lib/policy/sample.ts", `export const get = () => fetch("https://example.com");\n`, /does no I\/O/],
    ["app/ imported from lib/", "lib/audit/sample.ts", `import { GET } from "@/app/api/health/route";\nexport const g = GET;\n`, /does not import from app\/ or components\//],
    ["components/ imported from lib/", "lib/console/sample.ts", `import { PageHeader } from "@/components/page-header";\nexport const p = PageHeader;\n`, /does not import from app\/ or components\//],
  ])("%s", async (_label, file, code, expected) => {
    const messages = await lint(file, code);
    expect(messages.length, `no house rule fired in ${file}`).toBeGreaterThan(0);
    expect(messages.join("\n")).toMatch(expected);
  }, LOAD_TIMEOUT_MS);
});

describe("house rules allow the same code where it belongs", () => {
  test.each([
    ["Prisma in lib/db", "lib/db/sample.ts", `import { PrismaClient } from "./generated/client";\nexport const c = PrismaClient;\n`],
    ["process.env in lib/env.ts", "lib/env.ts", `export const raw = process.env.DATABASE_URL;\n`],
    ["the clock in a service", "lib/quota/sample.ts", `export const t = () => Date.now();\n`],
    ["time as an argument in the policy engine", "lib/policy/sample.ts", `export const later = (now: Date) => new Date(now.getTime() + 1000);\n`],
    ["a test setting up its environment", "lib/quota/sample.test.ts", `process.env.LOG_LEVEL = "silent";\n`],
  ])("%s", async (_label, file, code) => {
    expect(await lint(file, code)).toEqual([]);
  }, LOAD_TIMEOUT_MS);
});
