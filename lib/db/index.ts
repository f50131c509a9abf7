export { getDb, openDb, type Db, type PrismaClient } from "./client";
export { migrate, migrationStatus, readMigrations, MigrationError } from "./migrate";
