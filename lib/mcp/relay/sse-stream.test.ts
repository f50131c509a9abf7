import { describe, expect, it, vi } from "vitest";
import { RelayStream } from "./sse-stream";

async function drain(s: RelayStream) {
  const out: string[] = [];
  for await (const chunk of s) out.push(chunk);
  return out;
}

describe("relay stream", () => {
  it("drops notifications past the bound, never requests or the response", async () => {
    const s = new RelayStream(() => {}, 2);
    expect([1, 2, 3].map((n) => s.notify({ method: "notifications/progress", params: { progress: n } }))).toEqual([true, true, false]);
    expect(s.send({ id: "r1", method: "roots/list" })).toBe(true);
    s.end({ id: 1, result: {} });
    const events = await drain(s);
    expect(s.dropped).toBe(1);
    expect(events.map((e) => JSON.parse(e.split("data: ")[1]!))).toEqual([
      { method: "notifications/progress", params: { progress: 1 } },
      { method: "notifications/progress", params: { progress: 2 } },
      { id: "r1", method: "roots/list" },
      { id: 1, result: {} },
    ]);
    expect(events[0]).toMatch(/^id: 1\nevent: message\ndata: /);
  });

  it("a reader that stops early cancels once; an ended, drained stream does not", async () => {
    const onCancel = vi.fn();
    const s = new RelayStream(onCancel);
    s.notify({ method: "notifications/message" });
    for await (const _ of s) break;
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(s.notify({ method: "x" })).toBe(false);
    s.cancel();
    expect(onCancel).toHaveBeenCalledTimes(1);

    const done = vi.fn();
    const t = new RelayStream(done);
    t.end({ id: 1, result: {} });
    await drain(t);
    expect(done).not.toHaveBeenCalled();
  });
});
