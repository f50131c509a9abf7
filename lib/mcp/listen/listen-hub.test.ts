import { describe, expect, test } from "vitest";
import type { Principal } from "@/lib/auth/principal";
import { ListenHub, type ListenStream, sessionKeyOf } from "./listen-hub";

const alice: Principal = { kind: "token", tenant: "t1", subject: "alice", roles: ["agent"] };
const bob: Principal = { kind: "token", tenant: "t1", subject: "bob", roles: ["agent"] };
const other: Principal = { kind: "token", tenant: "t2", subject: "alice", roles: ["agent"] };

/** A hub over lists the test edits, on a clock the test moves (no timers: the test ticks). */
function world(o: { maxStreams?: number; maxPerPrincipal?: number } = {}) {
  let now = 1_000_000;
  const lists: Record<string, { tools: unknown[]; resources: unknown[]; prompts: unknown[] }> = {};
  const listsOf = (p: Principal) => (lists[p.tenant] ??= { tools: [{ name: "a" }], resources: [], prompts: [] });
  let failing = false;
  let reads = 0;
  const errors: unknown[] = [];
  const source = (kind: "tools" | "resources" | "prompts") => async (p: Principal) => {
    reads++;
    if (failing) throw new Error("database down");
    return listsOf(p)[kind];
  };
  const hub = new ListenHub({
    sources: { tools: source("tools"), resources: source("resources"), prompts: source("prompts") },
    now: () => now,
    maxStreams: o.maxStreams ?? 10,
    maxPerPrincipal: o.maxPerPrincipal ?? 3,
    keepaliveMs: 25_000,
    intervalMs: 2_000,
    onError: (err) => errors.push(err),
  });
  return {
    hub,
    listsOf,
    errors,
    reads: () => reads,
    fail: (on: boolean) => void (failing = on),
    advance: (ms: number) => void (now += ms),
    now: () => now,
  };
}

/** Reads what a stream has ready (its iterator paused between tests' steps). */
function reader(stream: ListenStream) {
  const it = stream[Symbol.asyncIterator]();
  const got: string[] = [];
  let done = false;
  let reading: Promise<void> | null = null;
  const pump = () =>
    (reading ??= (async () => {
      for (;;) {
        const next = await it.next();
        if (next.done) {
          done = true;
          return;
        }
        got.push(next.value);
      }
    })());
  return {
    /** Everything written so far, after letting the stream run. */
    async drain(): Promise<string[]> {
      void pump();
      for (let i = 0; i < 20; i++) await Promise.resolve();
      return got.splice(0);
    },
    get done() {
      return done;
    },
  };
}

async function opened(w: ReturnType<typeof world>, p: Principal, endsAt = w.now() + 3_600_000, session: string | null = null) {
  const r = await w.hub.openStream(p, endsAt, session);
  if (!r.ok) throw new Error(r.reason);
  return reader(r.stream);
}

const notice = (method: string) => `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method })}\n\n`;

describe("list_changed on the standalone stream", () => {
  test("the stream opens with a comment, then stays silent while nothing changes", async () => {
    const w = world();
    const s = await opened(w, alice);
    expect(await s.drain()).toEqual([": stream open\n\n"]);
    await w.hub.tick();
    expect(await s.drain()).toEqual([]);
  });

  test.each([
    ["tools", "notifications/tools/list_changed"],
    ["resources", "notifications/resources/list_changed"],
    ["prompts", "notifications/prompts/list_changed"],
  ] as const)("a change of the caller's %s sends %s once", async (kind, method) => {
    const w = world();
    const s = await opened(w, alice);
    await s.drain();
    w.listsOf(alice)[kind] = [{ name: "new" }];
    await w.hub.tick();
    expect(await s.drain()).toEqual([notice(method)]);
    await w.hub.tick();
    expect(await s.drain()).toEqual([]);
  });

  test("changes are coalesced: a reader that is behind gets one notification per list, however many changes", async () => {
    const w = world();
    // Not read yet: what the changes leave waiting is bounded by the kinds of list.
    const s = await opened(w, alice);
    for (let i = 0; i < 5; i++) {
      w.listsOf(alice).tools = [{ name: `t${i}` }];
      w.listsOf(alice).prompts = [{ name: `p${i}` }];
      await w.hub.tick();
    }
    expect(await s.drain()).toEqual([": stream open\n\n", notice("notifications/tools/list_changed"), notice("notifications/prompts/list_changed")]);
  });

  test("another tenant's change reaches only that tenant's streams", async () => {
    const w = world();
    const mine = await opened(w, alice);
    const theirs = await opened(w, other);
    await mine.drain();
    await theirs.drain();
    w.listsOf(other).tools = [{ name: "theirs" }];
    await w.hub.tick();
    expect(await mine.drain()).toEqual([]);
    expect(await theirs.drain()).toEqual([notice("notifications/tools/list_changed")]);
  });

  test("streams that see the same lists share one comparison", async () => {
    const w = world();
    await opened(w, alice);
    await opened(w, alice);
    await opened(w, bob);
    const before = w.reads();
    await w.hub.tick();
    // Two groups (alice, bob), three lists each.
    expect(w.reads() - before).toBe(6);
  });

  test("a failed comparison sends nothing and the next one compares from the last known lists", async () => {
    const w = world();
    const s = await opened(w, alice);
    await s.drain();
    w.fail(true);
    w.listsOf(alice).tools = [{ name: "changed" }];
    await w.hub.tick();
    expect(await s.drain()).toEqual([]);
    expect(w.errors).toHaveLength(1);
    w.fail(false);
    await w.hub.tick();
    expect(await s.drain()).toEqual([notice("notifications/tools/list_changed")]);
  });

  test("after 25 s of silence a keep-alive comment is written", async () => {
    const w = world();
    const s = await opened(w, alice);
    await s.drain();
    w.advance(24_000);
    await w.hub.tick();
    expect(await s.drain()).toEqual([]);
    w.advance(1_000);
    await w.hub.tick();
    expect(await s.drain()).toEqual([": keep-alive\n\n"]);
  });
});

describe("bounds and ends", () => {
  test.each([
    ["the process", { maxStreams: 2 }, [alice, bob, other], "process_full"],
    ["one principal", { maxPerPrincipal: 2 }, [alice, alice, alice], "principal_full"],
  ] as const)("past the bound of %s a stream is refused at once", async (_label, bounds, who, reason) => {
    const w = world(bounds);
    for (const p of who.slice(0, -1)) await opened(w, p);
    expect(await w.hub.openStream(who.at(-1)!, w.now() + 1000, null)).toEqual({ ok: false, reason });
  });

  test("another principal's streams do not count against mine", async () => {
    const w = world({ maxPerPrincipal: 1 });
    await opened(w, alice);
    expect((await w.hub.openStream(bob, w.now() + 1000, null)).ok).toBe(true);
  });

  test("a stream ends when its time is up, and frees its place", async () => {
    const w = world({ maxStreams: 1 });
    const s = await opened(w, alice, w.now() + 10_000);
    await s.drain();
    w.advance(10_000);
    await w.hub.tick();
    await s.drain();
    expect(s.done).toBe(true);
    expect(w.hub.size).toBe(0);
    expect((await w.hub.openStream(alice, w.now() + 1000, null)).ok).toBe(true);
  });

  test("ending a session ends its streams only", async () => {
    const w = world();
    const ended = await opened(w, alice, w.now() + 60_000, "session-1");
    const kept = await opened(w, alice, w.now() + 60_000, "session-2");
    await ended.drain();
    await kept.drain();
    w.hub.endSession(sessionKeyOf("session-1"));
    await ended.drain();
    await kept.drain();
    expect([ended.done, kept.done]).toEqual([true, false]);
    expect(w.hub.size).toBe(1);
  });

  test("cancel (the client left) frees the place at once", async () => {
    const w = world({ maxStreams: 1 });
    const r = await w.hub.openStream(alice, w.now() + 60_000, null);
    if (!r.ok) throw new Error(r.reason);
    r.stream.cancel();
    expect(w.hub.size).toBe(0);
  });
});
