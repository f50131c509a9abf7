import { describe, expect, it } from "vitest";
import { DraftNotSaved, serverDraftStore } from "./drafts";
import { PolicyApiError, type ServerDraft, type ServerTestCase } from "./policy-api";
import { serverTestCaseStore, testCaseFrom, uniqueName } from "./test-cases";

/** The studio's server-backed stores over a fake of the API's calls (the routes have their own tests). */

function fakeTestCaseApi() {
  const rows: ServerTestCase[] = [];
  let next = 1;
  return {
    rows,
    testCases: async () => rows,
    addTestCase: async (tc: Omit<ServerTestCase, "id" | "created_by" | "created_at" | "scope">) => {
      const row = { ...tc, id: next++, scope: "tenant" as const, created_by: "alice", created_at: "2026-11-30T00:00:00.000Z" };
      rows.push(row);
      return row;
    },
    removeTestCase: async (id: number) => {
      const i = rows.findIndex((r) => r.id === id);
      if (i < 0) throw new PolicyApiError(404, "not_found", `test case ${id} does not exist`);
      rows.splice(i, 1);
    },
  };
}

describe("serverTestCaseStore", () => {
  it("adds a case from a simulated row as the API's body, and reads it back with the server's id", async () => {
    const api = fakeTestCaseApi();
    const store = serverTestCaseStore(api);
    const tc = testCaseFrom({ tool: "fs.write", arguments: { path: "/x" }, roles: ["dev"], subject: "bob", at: "2026-01-01T00:00:00Z", estimated_cost_usd: 3 }, { decision: "approval", rule: "writes" });
    const saved = await store.add!(tc);
    expect(api.rows[0]).toMatchObject({ name: "fs.write → approval (writes)", call: { tool: "fs.write", arguments: { path: "/x" } }, roles: ["dev"], subject: "bob", at: "2026-01-01T00:00:00Z", expected: { decision: "approval", rule: "writes" } });
    expect(saved.id).toBe("1");
    expect(await store.load()).toEqual([saved]);
    await store.remove!("1");
    expect(await store.load()).toEqual([]);
    await expect(store.remove!("1")).rejects.toThrow(/does not exist/);
  });

  it.each([
    ["a free name", "a", [], "a"],
    ["a taken name", "a", ["a"], "a (2)"],
    ["two taken", "a", ["a", "a (2)"], "a (3)"],
  ])("uniqueName: %s", (_l, name, taken, expected) => {
    expect(uniqueName(name, taken.map((n) => ({ name: n })))).toBe(expected);
  });
});

describe("serverDraftStore", () => {
  it("loads null on 404, saves text and base, clears", async () => {
    let stored: ServerDraft | null = null;
    const store = serverDraftStore({
      draft: async () => stored,
      saveDraft: async (d) => (stored = { ...d, saved_at: "2026-11-30T00:00:00.000Z" }),
      clearDraft: async () => {
        stored = null;
      },
    });
    expect(await store.load()).toBeNull();
    await store.save({ text: "version: 1\n", base_version: 4, saved_at: "x" });
    expect(await store.load()).toEqual({ text: "version: 1\n", base_version: 4, saved_at: "2026-11-30T00:00:00.000Z" });
    await store.clear();
    expect(await store.load()).toBeNull();
  });

  it("a refusal keeps the draft in the tab and says so", async () => {
    const store = serverDraftStore({
      draft: async () => null,
      saveDraft: async () => {
        throw new PolicyApiError(413, "payload_too_large", "body over the limit");
      },
      clearDraft: async () => undefined,
    });
    await expect(store.save({ text: "x", base_version: null, saved_at: "x" })).rejects.toBeInstanceOf(DraftNotSaved);
    await expect(store.save({ text: "x", base_version: null, saved_at: "x" })).rejects.toThrow(/still in this tab/);
  });
});
