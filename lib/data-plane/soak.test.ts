import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Pool } from "undici";
import { afterAll, beforeAll, expect, test } from "vitest";
import { services } from "@/lib/server";
import { startTestUpstream, type TestUpstream } from "@/lib/mcp/upstreams/test-server";
import { serveDataPlane } from "./serve";
import { type DataPlaneFixture, setUpDataPlane } from "./testing";

/**
 * A short soak: a few thousand audited calls forwarded to an HTTP upstream through the data plane,
 * 32 in flight. Node must not warn (the SDK transport's shared abort signal collected a listener
 * per call: MaxListenersExceededWarning), and the heap after a full collection must not grow with
 * the number of calls. Counts, not timings, are asserted.
 */

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let fixture: DataPlaneFixture | undefined;
let upstream: TestUpstream;
let plane: { url: string; close: () => Promise<void> };
let token: string;
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

beforeAll(async () => {
  process.on("warning", onWarning);
  upstream = await startTestUpstream({ token: "soak-token", label: "soak" });
  fixture = await setUpDataPlane({
    label: "soak",
    upstream,
    upstreamToken: "soak-token",
    policyYaml: 'version: 1\ndefaults: { decision: deny }\nrules:\n  - { name: tickets, match: "tickets.*", action: allow, reason: ok }\n',
  });
  ({ token } = fixture);
  plane = await serveDataPlane({ port: 0, host: "127.0.0.1" });
}, 120_000);

afterAll(async () => {
  process.off("warning", onWarning);
  await plane?.close();
  await upstream?.stop();
  await fixture?.teardown();
});

async function run(pool: Pool, calls: number, concurrency: number): Promise<{ ok: number; failed: string[] }> {
  let next = 0;
  let ok = 0;
  const failed: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const id = ++next;
        const res = await pool.request({
          path: "/mcp",
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "tickets.create_ticket", arguments: { title: `t${id}` } } }),
        });
        const body = (await res.body.json()) as { result?: { content?: { text?: string }[] } };
        if (res.statusCode === 200 && body.result?.content?.[0]?.text === `soak: created "t${id}"`) ok++;
        else if (failed.length < 5) failed.push(`${res.statusCode} ${JSON.stringify(body).slice(0, 300)}`);
      }
    }),
  );
  return { ok, failed };
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test("3,000 forwarded, audited calls: no listener warnings, heap does not grow with the calls, nothing left in flight", async () => {
  const pool = new Pool(plane.url, { connections: 32 });
  try {
    const warm = await run(pool, 500, 32);
    expect(warm.failed).toEqual([]);
    const before = heapAfterGc();
    const soak = await run(pool, 3_000, 32);
    expect(soak.failed).toEqual([]);
    expect(soak.ok).toBe(3_000);
    const growth = heapAfterGc() - before;
    // A leak of even 5 KB per call would be 15 MB here; caches that fill once are already warm.
    expect(growth).toBeLessThan(10 * 1024 * 1024);
    expect(warnings.filter((w) => /MaxListeners|listener/i.test(w))).toEqual([]);
    expect(services().admission.stats().inFlight).toBe(0);
    expect(upstream.seen.calls).toBe(3_500);
  } finally {
    await pool.close();
  }
}, 240_000);
