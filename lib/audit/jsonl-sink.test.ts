import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { decisionOk, jsonlSink } from "./jsonl-sink";

const dir = mkdtempSync(path.join(tmpdir(), "canopy-jsonl-"));
const quiet = () => {
  const warnings: string[] = [];
  return { warnings, log: { warn: (_o: object, msg: string) => void warnings.push(msg) } };
};

describe("JSON-lines copies (AUDIT_PATH, APPROVALS_PATH)", () => {
  test("each write is one JSON line, in order, readable by jq-style parsing", async () => {
    const file = path.join(dir, "logs", "audit.log");
    const q = quiet();
    const sink = jsonlSink(file, { maxBytes: 1_000_000, log: q.log });
    for (let i = 0; i < 50; i++) sink.write({ seq: i, ok: i % 2 === 0 });
    await sink.flush();
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { seq: number; ok: boolean });
    expect(lines.map((l) => l.seq)).toEqual([...Array(50).keys()]);
    expect(lines.filter((l) => l.ok === false)).toHaveLength(25);
    expect(q.warnings).toEqual([]);
  });

  test("bounded: past maxBytes the file rolls over to FILE.1 and a new one begins", async () => {
    const file = path.join(dir, "small.log");
    const sink = jsonlSink(file, { maxBytes: 2048, log: quiet().log });
    for (let i = 0; i < 100; i++) {
      sink.write({ seq: i, pad: "x".repeat(40) });
      await sink.flush();
    }
    expect(readFileSync(file).length).toBeLessThanOrEqual(2048);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(readFileSync(`${file}.1`).length).toBeLessThanOrEqual(2048);
  });

  test("fail-safe: a write error is logged and the line dropped; write never throws", async () => {
    const file = path.join(dir, "is-a-directory");
    mkdirSync(file);
    const q = quiet();
    const sink = jsonlSink(file, { maxBytes: 1_000_000, log: q.log });
    expect(() => sink.write({ a: 1 })).not.toThrow();
    await sink.flush();
    expect(sink.dropped).toBe(1);
    expect(q.warnings[0]).toMatch(/JSONL copy write failed \(Postgres has the record\)/);
  });

  test("bounded queue: lines beyond maxQueued are dropped and counted", async () => {
    const sink = jsonlSink(path.join(dir, "queue.log"), { maxBytes: 1_000_000, maxQueued: 3, log: quiet().log });
    for (let i = 0; i < 10; i++) sink.write({ i });
    await sink.flush();
    expect(sink.dropped).toBeGreaterThan(0);
  });

  test.each([
    ["allow", true],
    ["approved", true],
    ["deny", false],
    ["rejected", false],
    [null, null],
  ])("decision %s reads as ok = %s", (decision, ok) => {
    expect(decisionOk(decision)).toBe(ok);
  });
});
