/**
 * The house rules of ARCHITECTURE.md, enforced: Prisma only in lib/db, process.env only in
 * lib/env.ts, no I/O or clock in the pure domains (lib/policy, the approval state machine), and
 * lib/ never reaches up into app/ or components/. config/eslint-house-rules.test.ts proves each
 * rule fires on a sample violation.
 */

// Tests, fixtures and programs that set up a process may do what the application may not.
const NOT_APP_CODE = ["**/*.test.ts", "**/*.test.tsx", "**/__fixtures__/**", "**/testing.ts", "e2e/**", "bench/**", "scripts/**", "test/**"];
const APP_CODE = ["lib/**/*.{ts,tsx}", "app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}", "cli/**/*.ts"];

const PRISMA = {
  group: ["@prisma/*", "@/lib/db/generated", "@/lib/db/generated/*", "**/db/generated/*"],
  message: "Only lib/db imports Prisma: add the query to lib/db and call it (types: `import type { Prisma, PrismaClient } from \"@/lib/db\"`).",
};
const UPWARD = {
  group: ["@/app", "@/app/*", "@/components", "@/components/*"],
  message: "lib/ does not import from app/ or components/: move the shared code into lib/.",
};
const IO_MODULES = ["fs", "node:fs", "fs/promises", "node:fs/promises", "child_process", "node:child_process", "net", "node:net", "http", "node:http", "https", "node:https", "undici", "ioredis", "pg", "@electric-sql/pglite", "pino", "prom-client"];
const IO = {
  group: ["next", "next/*", "next-auth", "next-auth/*", "@/lib/db", "@/lib/db/*", "@/lib/redis", "@/lib/redis/*", "@/lib/server", "@/lib/server/*", "@/lib/env", "@/lib/log", "@/lib/secrets", "@/lib/mcp/upstreams", "@/lib/mcp/upstreams/*", "@/lib/audit", "@/lib/audit/*"],
  message: "lib/policy and the approval state machine are pure: no I/O, no framework. Take what you need as an argument.",
};

const PROCESS_ENV = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: "Only lib/env.ts reads process.env: add the variable to its zod schema and read env().",
};
const CLOCK = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Pure code has no clock: take `now` as an argument." },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Pure code has no clock: take `now` as an argument." },
  { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: "Pure code has no clock: take `now` as an argument." },
  { selector: "CallExpression[callee.name='fetch']", message: "Pure code does no I/O: the caller fetches and passes the result in." },
];

export const houseRules = [
  {
    files: APP_CODE,
    ignores: [...NOT_APP_CODE, "lib/db/**", "lib/env.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [PRISMA] }],
      "no-restricted-syntax": ["error", PROCESS_ENV],
    },
  },
  {
    files: ["lib/**/*.{ts,tsx}"],
    ignores: [...NOT_APP_CODE, "lib/db/**", "lib/env.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [PRISMA, UPWARD] }],
    },
  },
  {
    files: ["lib/db/**/*.ts"],
    ignores: [...NOT_APP_CODE, "lib/db/generated/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [UPWARD] }],
    },
  },
  {
    files: ["lib/policy/**/*.ts", "lib/approvals/state-machine.ts"],
    ignores: NOT_APP_CODE,
    rules: {
      "no-restricted-imports": ["error", { paths: IO_MODULES.map((name) => ({ name, message: IO.message })), patterns: [PRISMA, UPWARD, IO] }],
      "no-restricted-syntax": ["error", PROCESS_ENV, ...CLOCK],
    },
  },
];
