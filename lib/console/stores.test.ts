import { describe, expect, it } from "vitest";
import { DraftNotSaved, draftKey, localDraftStore, MAX_DRAFT_CHARS } from "./drafts";
import { editorSchema } from "./editor-schema";
import { checkExpectation, localTestCaseStore, MAX_TEST_CASES, testCaseFrom, testCasesKey, testCaseToSimCase } from "./test-cases";

/** A Storage double with the browser's behaviour that matters here: strings in, strings out, a quota. */
function memoryStorage(quota = Infinity) {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => {
      if (v.length > quota) throw new Error("QuotaExceededError");
      m.set(k, v);
    },
    removeItem: (k: string) => void m.delete(k),
    raw: m,
  };
}

describe("localDraftStore", () => {
  it("keeps a draft per tenant and user, and drops it on clear", async () => {
    const s = memoryStorage();
    const a = localDraftStore(s, draftKey("acme", "alice"));
    const b = localDraftStore(s, draftKey("acme", "bob"));
    await a.save({ text: "version: 1\nrules: []\n", base_version: 4, saved_at: "2026-05-01T00:00:00Z" });
    expect(await a.load()).toEqual({ text: "version: 1\nrules: []\n", base_version: 4, saved_at: "2026-05-01T00:00:00Z" });
    expect(await b.load()).toBeNull();
    await a.clear();
    expect(await a.load()).toBeNull();
  });

  it.each([
    ["not JSON", "{nope"],
    ["the wrong shape", JSON.stringify({ text: 5 })],
    ["a draft over the size bound", JSON.stringify({ text: "x".repeat(MAX_DRAFT_CHARS + 1), base_version: null, saved_at: "t" })],
  ])("reads %s back as no draft", async (_label, raw) => {
    const s = memoryStorage();
    s.setItem("k", raw);
    expect(await localDraftStore(s, "k").load()).toBeNull();
  });

  it("says why a draft was not kept: no storage, too large, or the browser's quota", async () => {
    const draft = { text: "x", base_version: null, saved_at: "t" };
    await expect(localDraftStore(undefined, "k").save(draft)).rejects.toBeInstanceOf(DraftNotSaved);
    await expect(localDraftStore(memoryStorage(), "k").save({ ...draft, text: "x".repeat(MAX_DRAFT_CHARS + 1) })).rejects.toThrow(/is not kept/);
    await expect(localDraftStore(memoryStorage(10), "k").save({ ...draft, text: "x".repeat(100) })).rejects.toThrow(/refused to keep the draft/);
  });
});

describe("test cases", () => {
  it("a case saved from a simulated call expects what the draft decided, and runs with its own roles (none = none)", () => {
    const tc = testCaseFrom({ tool: "fs.write", arguments: { path: "/etc/x" }, subject: "agent-1", at: "2026-05-01T10:00:00Z" }, { decision: "deny", rule: "no etc" });
    expect(tc).toMatchObject({ name: "fs.write → deny (no etc)", expect: { decision: "deny", rule: "no etc" } });
    const sc = testCaseToSimCase(tc);
    expect(sc).toMatchObject({ id: `test:${tc.id}`, source: "test", rolesKnown: true, call: { roles: [], subject: "agent-1" } });
  });

  it.each([
    ["decision and rule as expected", { decision: "deny", rule: "r" }, { decision: "deny", rule: "r" }, true],
    ["another decision", { decision: "deny", rule: "r" }, { decision: "allow", rule: "r" }, false],
    ["the right decision by another rule", { decision: "deny", rule: "r" }, { decision: "deny", rule: "s" }, false],
    ["the default expected, a rule decided", { decision: "deny", rule: null }, { decision: "deny", rule: "s" }, false],
    ["no rule expected: any rule", { decision: "deny" }, { decision: "deny", rule: "s" }, true],
  ] as const)("%s", (_label, expected, got, pass) => {
    expect(checkExpectation(expected, got)?.pass).toBe(pass);
  });

  it("no expectation, no verdict; no decision, a failure", () => {
    expect(checkExpectation(undefined, { decision: "allow", rule: null })).toBeUndefined();
    expect(checkExpectation({ decision: "allow" }, null)).toEqual({ pass: false, message: "no decision" });
  });

  it("the local store keeps valid cases, drops tampered ones, and bounds the count", async () => {
    const s = memoryStorage();
    const store = localTestCaseStore(s, testCasesKey("acme"));
    const good = testCaseFrom({ tool: "fs.read", arguments: {} }, { decision: "allow", rule: null });
    s.setItem(testCasesKey("acme"), JSON.stringify([good, { id: "x", name: "", call: {} }]));
    expect(await store.load()).toEqual([good]);
    await store.save!(Array.from({ length: MAX_TEST_CASES + 5 }, () => good));
    expect((await store.load()).length).toBe(MAX_TEST_CASES);
  });
});

describe("editorSchema", () => {
  it("rewrites $defs references to definitions, drops $schema and the root title, and adds markdown descriptions", () => {
    const out = editorSchema({
      title: "CanopyIQ policy",
      $schema: "https://json-schema.org/draft/2020-12/schema",
      properties: { where: { $ref: "#/$defs/c", description: "conditions" }, description: { type: "string" } },
      $defs: { c: { properties: { not: { $ref: "#/$defs/c" } } } },
    });
    expect(out).toEqual({
      properties: { where: { $ref: "#/definitions/c", description: "conditions", markdownDescription: "conditions" }, description: { type: "string" } },
      definitions: { c: { properties: { not: { $ref: "#/definitions/c" } } } },
    });
  });
});
