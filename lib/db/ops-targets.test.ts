import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createOpsTargetRow, deleteOpsTargetRow, getOpsTargetRow, listOpsTargetRows, countOpsTargetRows, type OpsTargetWrite, updateOpsTargetRow } from "./ops-targets";
import { createTestDb, type TestDb } from "./testing";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  for (const id of ["acme", "globex"]) await db.prisma.tenant.create({ data: { id, name: id } });
});
afterAll(async () => {
  await db?.drop();
});

const w = (over: Partial<OpsTargetWrite> = {}): OpsTargetWrite => ({
  name: "Web 1",
  backend: "ssh",
  address: "10.0.0.5",
  port: 22,
  role: "production",
  tags: ["web", "eu"],
  maintenanceWindows: [{ days: [6], start: "02:00", end: "06:00", timezone: "UTC" }],
  credentialRef: "PROD_WEB_KEY",
  options: { username: "deploy", host_keys: [] },
  ...over,
});

describe("ops_targets queries are tenant-scoped", () => {
  test("create, read back with every column, refuse a duplicate id in the same tenant", async () => {
    const row = await createOpsTargetRow(db.prisma, "acme", "web-1", w(), "alice");
    expect(row).toMatchObject({ tenantId: "acme", id: "web-1", name: "Web 1", backend: "ssh", address: "10.0.0.5", port: 22, role: "production", tags: ["web", "eu"], credentialRef: "PROD_WEB_KEY", createdBy: "alice", updatedBy: "alice" });
    expect(row!.maintenanceWindows).toEqual([{ days: [6], start: "02:00", end: "06:00", timezone: "UTC" }]);
    expect(row!.options).toEqual({ username: "deploy", host_keys: [] });
    expect(await createOpsTargetRow(db.prisma, "acme", "web-1", w({ name: "again" }), "bob")).toBeNull();
    expect((await getOpsTargetRow(db.prisma, "acme", "web-1"))!.name).toBe("Web 1");
  });

  test("the same id in another tenant is another target; neither sees the other's", async () => {
    await createOpsTargetRow(db.prisma, "globex", "web-1", w({ name: "Globex web", role: "development" }), "gina");
    expect((await getOpsTargetRow(db.prisma, "globex", "web-1"))!.role).toBe("development");
    expect((await getOpsTargetRow(db.prisma, "acme", "web-1"))!.role).toBe("production");
    expect((await listOpsTargetRows(db.prisma, "globex", { limit: 10 })).map((r) => r.name)).toEqual(["Globex web"]);
    expect(await getOpsTargetRow(db.prisma, "nobody", "web-1")).toBeNull();
  });

  test("update and delete touch only the named tenant's row; optimistic updates refuse a stale version", async () => {
    const before = (await getOpsTargetRow(db.prisma, "acme", "web-1"))!;
    const updated = await updateOpsTargetRow(db.prisma, "acme", "web-1", w({ role: "staging" }), "bob", before.updatedAt);
    expect(updated).toMatchObject({ role: "staging", updatedBy: "bob", createdBy: "alice" });
    expect(await updateOpsTargetRow(db.prisma, "acme", "web-1", w({ role: "testing" }), "carol", before.updatedAt)).toBeNull();
    expect(await updateOpsTargetRow(db.prisma, "nobody", "web-1", w(), "mallory")).toBeNull();
    expect(await deleteOpsTargetRow(db.prisma, "globex", "missing")).toBe(false);
    expect(await deleteOpsTargetRow(db.prisma, "globex", "web-1")).toBe(true);
    expect((await getOpsTargetRow(db.prisma, "acme", "web-1"))!.role).toBe("staging");
  });

  test("listing pages by id", async () => {
    for (const id of ["a-1", "b-2", "c-3"]) await createOpsTargetRow(db.prisma, "acme", id, w(), "alice");
    const first = await listOpsTargetRows(db.prisma, "acme", { limit: 2 });
    expect(first.map((r) => r.id)).toEqual(["a-1", "b-2"]);
    const next = await listOpsTargetRows(db.prisma, "acme", { limit: 2, after: "b-2" });
    expect(next.map((r) => r.id)).toEqual(["c-3", "web-1"]);
    expect(await countOpsTargetRows(db.prisma, "acme")).toBe(4);
  });

  test("the database refuses a backend or role outside the lists", async () => {
    await expect(createOpsTargetRow(db.prisma, "acme", "x-1", w({ backend: "telnet" }), "a")).rejects.toThrow();
    await expect(createOpsTargetRow(db.prisma, "acme", "x-2", w({ role: "root" }), "a")).rejects.toThrow();
  });

  test("deleting a tenant deletes its targets", async () => {
    await db.prisma.tenant.create({ data: { id: "initech", name: "initech" } });
    await createOpsTargetRow(db.prisma, "initech", "t-1", w(), "a");
    await db.prisma.tenant.delete({ where: { id: "initech" } });
    expect(await countOpsTargetRows(db.prisma, "initech")).toBe(0);
  });
});
