import { defineConfig } from "prisma/config";

// The CLI is only used for `prisma generate` (no database needed). Migrations are applied by
// lib/db/migrate.ts, so no datasource URL is configured here.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
