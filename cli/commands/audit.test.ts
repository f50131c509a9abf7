import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { makeAuditLog, testKeys } from "@/lib/audit/testing";
import { createTestDb, type TestDb } from "@/lib/db/testing";
import { auditCommand } from "./audit";

let db: TestDb;
let dir: string;
let file: string;
const keys = testKeys();

beforeAll(async () => {
  db = await createTestDb();
  const log = makeAuditLog(db, keys, { checkpointEvery: 5 });
  for (let i = 0; i < 23; i++) await log.append({ tenant: "acme", kind: "tool_decision", tool: "fs.write", args: { i, token: "secret" }, reason: `call ${i}` });
  dir = mkdtempSync(path.join(tmpdir(), "canopy-cli-audit-"));
  file = path.join(dir, "acme.jsonl");
  let text = "";
  for await (const line of log.exportLines("acme")) text += line;
  writeFileSync(file, text);
  writeFileSync(path.join(dir, "audit.pub"), keys.publicKeyPem);
  log.close();
});
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((c) => ((out += String(c)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((c) => ((out += String(c)), true));
  try {
    return { code: await auditCommand(argv), out };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

describe("canopy audit verify --from-export (offline)", () => {
  test("an intact export verifies with only the public key file", async () => {
    const r = await run(["verify", "--from-export", file, "--public-key", path.join(dir, "audit.pub")]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/^OK .*23 records verified up to seq 23, 4 signed checkpoints/);
  });

  test("the key can be given as base64 text, and --json prints the result", async () => {
    const b64 = keys.publicKeyPem.replace(/-----[^-]+-----|\s/g, "");
    const r = await run(["verify", "--from-export", file, "--public-key", b64, "--json"]);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, count: 23 });
  });

  test.each([
    ["an edited record", (t: string) => t.replace('"reason":"call 7"', '"reason":"call 8"'), /BROKEN .*seq 8: edited/],
    ["a removed record", (t: string) => t.split("\n").filter((l) => !l.includes('"seq":12,"prev_hash"')).join("\n"), /seq 12: missing/],
    ["a file cut short", (t: string) => t.split("\n").slice(0, 15).join("\n"), /truncated/],
  ])("%s exits 1 naming the seq", async (_label, mutate, expected) => {
    const bad = path.join(dir, "bad.jsonl");
    writeFileSync(bad, mutate(readFileSync(file, "utf8")));
    const r = await run(["verify", "--from-export", bad, "--public-key", path.join(dir, "audit.pub")]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(expected);
  });

  test("another key is refused", async () => {
    const r = await run(["verify", "--from-export", file, "--public-key", testKeys().publicKeyPem]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bad_signature/);
  });

  test("usage errors exit 2", async () => {
    expect((await run(["verify", "--from-export", file])).code).toBe(2);
    expect((await run(["frobnicate"])).code).toBe(2);
  });
});
