export { openAppDb, openDb, type Db, type PrismaClient } from "./client";
export type { Prisma } from "./generated/client";
export { migrate, migrationStatus, readMigrations, MigrationError } from "./migrate";
