import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb, type TestDb } from "./testing";

/**
 * Prisma's own `migrate diff` cannot run on our machines, so this test is what proves that
 * prisma/schema.prisma and the committed SQL migrations describe the same database: every
 * model's table, every scalar column with its type, nullability and list-ness, and every
 * unique constraint exist after the migrations run on a fresh database, and nothing else does.
 */
interface Field { column: string; type: string; optional: boolean; list: boolean }
interface Model { name: string; table: string; fields: Field[]; uniques: string[][]; id: string[] }

const SCALARS: Record<string, string> = {
  String: "text", Int: "integer", BigInt: "bigint", Float: "double precision", Boolean: "boolean",
  DateTime: "timestamp without time zone", Json: "jsonb",
};

function parseSchema(text: string): Model[] {
  const models: Model[] = [];
  for (const m of text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const [, name, body] = m;
    const model: Model = { name, table: name, fields: [], uniques: [], id: [] };
    const colOf = new Map<string, string>();
    for (const raw of body.split("\n")) {
      const line = raw.replace(/\/\/.*$/, "").trim();
      if (!line) continue;
      const block = line.match(/^@@(\w+)\((.*)\)$/);
      if (block) {
        const [, attr, args] = block;
        const cols = (args.match(/\[([^\]]*)\]/)?.[1] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
        if (attr === "map") model.table = args.replace(/"/g, "");
        if (attr === "unique") model.uniques.push(cols);
        if (attr === "id") model.id = cols;
        continue;
      }
      const f = line.match(/^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/);
      if (!f) continue;
      const [, fname, type, list, optional, attrs] = f;
      if (!(type in SCALARS)) continue; // relation field
      const column = attrs.match(/@map\("([^"]+)"\)/)?.[1] ?? fname;
      colOf.set(fname, column);
      model.fields.push({ column, type, optional: Boolean(optional), list: Boolean(list) });
      if (/@unique\b/.test(attrs)) model.uniques.push([fname]);
      if (/@id\b/.test(attrs)) model.id = [fname];
    }
    model.uniques = model.uniques.map((u) => u.map((f) => colOf.get(f) ?? f));
    model.id = model.id.map((f) => colOf.get(f) ?? f);
    models.push(model);
  }
  return models;
}

const models = parseSchema(readFileSync("prisma/schema.prisma", "utf8"));
let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.drop();
});

describe("schema.prisma agrees with prisma/migrations", () => {
  test("the parser found the data model", () => {
    expect(models.length).toBeGreaterThanOrEqual(15);
  });

  test("no table exists that the schema does not describe", async () => {
    const rows = await db.sql.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const tables = rows.map((r) => r.table_name).filter((t) => t !== "_canopy_migrations").sort();
    expect(tables).toEqual(models.map((m) => m.table).sort());
  });

  test.each(models.map((m) => [m.name, m] as const))("model %s: columns, types, nullability", async (_name, model) => {
    const rows = await db.sql.query<{ column_name: string; data_type: string; udt_name: string; is_nullable: string }>(
      `SELECT column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [model.table],
    );
    const actual = Object.fromEntries(
      rows.map((r) => [r.column_name, { type: r.data_type === "ARRAY" ? `${r.udt_name}[]` : r.data_type, nullable: r.is_nullable === "YES" }]),
    );
    const expected = Object.fromEntries(
      model.fields.map((f) => [
        f.column,
        { type: f.list ? `_${SCALARS[f.type] === "text" ? "text" : SCALARS[f.type]}[]` : SCALARS[f.type], nullable: f.optional || f.list },
      ]),
    );
    expect(actual).toEqual(expected);
  });

  test.each(models.map((m) => [m.name, m] as const))("model %s: primary key and unique constraints", async (_name, model) => {
    const rows = await db.sql.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`, [
      model.table,
    ]);
    const uniques = rows
      .map((r) => r.indexdef)
      .filter((d) => d.startsWith("CREATE UNIQUE INDEX"))
      .map((d) => (d.match(/\((.*)\)$/)?.[1] ?? "").split(",").map((c) => c.trim().replace(/"/g, "")).join(","))
      .sort();
    const expected = [model.id, ...model.uniques].map((cols) => cols.join(",")).sort();
    expect(uniques).toEqual(expected);
  });
});
