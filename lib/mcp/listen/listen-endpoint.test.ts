import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GET as nextGet } from "@/app/api/mcp/route";
import { mintToken } from "@/lib/auth/tokens";
import type { Principal } from "@/lib/auth/principal";
import { serveDataPlane } from "@/lib/data-plane/serve";
import { type DataPlaneFixture, setUpDataPlane } from "@/lib/data-plane/testing";
import { env } from "@/lib/env";
import { applyPolicy } from "@/lib/policy-store/lifecycle";
import { applyRequestSchema } from "@/lib/policy-store/schemas";
import { services } from "@/lib/server";
import { startTestUpstream, type TestUpstream } from "@/lib/mcp/upstreams/test-server";

/**
 * GET and DELETE /mcp through the node:http data plane (what `npm start` and `canopy gateway`
 * serve): a session's standalone stream hears list_changed when a policy applied changes what the
 * caller may list, DELETE ends the session everywhere, and nobody else's token can use the id.
 */

let fixture: DataPlaneFixture;
let upstream: TestUpstream;
let plane: Awaited<ReturnType<typeof serveDataPlane>>;
let token: string;
let otherToken: string;

const POLICY = (createAllowed: boolean) =>
  [
    "version: 1",
    "defaults: { decision: deny }",
    "rules:",
    ...(createAllowed ? [] : ['  - { name: no-create, match: "tickets.create_ticket", action: deny, reason: "frozen" }']),
    '  - { name: tickets, match: "tickets.*", action: allow, reason: "tickets are fine" }',
    "",
  ].join("\n");

beforeAll(async () => {
  upstream = await startTestUpstream({ token: "listen-token", label: "listen", richTools: true });
  fixture = await setUpDataPlane({ label: "listen", upstream, upstreamToken: "listen-token", policyYaml: POLICY(true) });
  token = fixture.token;
  const now = Math.floor(Date.now() / 1000);
  otherToken = (await mintToken({ tenant: env().CANOPY_DEMO_TENANT, subject: "listen-other", roles: ["agent"], ttlSeconds: 3600, now }, services().tokenKeys)).token;
  plane = await serveDataPlane({ port: 0, host: "127.0.0.1" });
}, 60_000);

afterAll(async () => {
  // The aborted fetches leave undici sockets that never carry a request, which close() alone would wait for.
  plane?.server.closeAllConnections();
  await plane?.close();
  await fixture?.teardown();
  await upstream?.stop();
});

const auth = (t = token) => ({ authorization: `Bearer ${t}` });
const sse = { accept: "text/event-stream" };

async function initialize(): Promise<string> {
  const res = await fetch(`${plane.url}/mcp`, {
    method: "POST",
    headers: { ...auth(), "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "listen", version: "1" } } }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { result: { capabilities: { tools: { listChanged: boolean } } } };
  expect(body.result.capabilities.tools.listChanged).toBe(true);
  return res.headers.get("mcp-session-id")!;
}

/** An open GET stream: its events collected as they arrive. */
async function listen(headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(`${plane.url}/mcp`, { headers, signal: controller.signal });
  const chunks: string[] = [];
  let ended = false;
  const reading = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const part of res.body) chunks.push(decoder.decode(part as Uint8Array, { stream: true }));
    } catch {
      // aborted by the test
    }
    ended = true;
  })();
  return {
    res,
    text: () => chunks.join(""),
    ended: () => ended,
    async close() {
      controller.abort();
      await reading;
    },
  };
}

async function toolNames(): Promise<string[]> {
  const res = await fetch(`${plane.url}/mcp`, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) });
  return ((await res.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
}

const admin: Principal = { kind: "token", tenant: "", subject: "listen-admin", roles: ["admin"] };

describe("GET /mcp: the standalone stream", () => {
  test("a policy applied that hides a tool sends tools/list_changed on the session's stream, and tools/list agrees", async () => {
    const session = await initialize();
    const stream = await listen({ ...auth(), ...sse, "mcp-session-id": session });
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get("content-type")).toBe("text/event-stream");
      await expect.poll(stream.text).toContain(": stream open");
      expect(await toolNames()).toContain("tickets.create_ticket");

      const tenant = env().CANOPY_DEMO_TENANT;
      await applyPolicy(services(), { ...admin, tenant }, applyRequestSchema.parse({ policy: POLICY(false), strategy: "explicit", tenants_csv: tenant, message: "freeze creation" }));
      // The comparison runs on the hub's interval; the test runs it instead of waiting.
      await expect
        .poll(async () => {
          await services().mcpListen.hub.tick();
          return stream.text();
        })
        .toContain('data: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}');
      expect(await toolNames()).not.toContain("tickets.create_ticket");
      expect(stream.text().match(/list_changed/g)).toHaveLength(1);
    } finally {
      await stream.close();
    }
  });

  test("another principal cannot listen on my session, nor end it", async () => {
    const session = await initialize();
    const theirs = await fetch(`${plane.url}/mcp`, { headers: { ...auth(otherToken), ...sse, "mcp-session-id": session } });
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toMatchObject({ error: { code: "session_not_found", message: expect.stringContaining("another principal") } });
    const end = await fetch(`${plane.url}/mcp`, { method: "DELETE", headers: { ...auth(otherToken), "mcp-session-id": session } });
    expect(end.status).toBe(404);
    // Still mine.
    const mine = await listen({ ...auth(), ...sse, "mcp-session-id": session });
    expect(mine.res.status).toBe(200);
    await mine.close();
  });

  test("past MCP_LISTEN_MAX_PER_CALLER open streams the next is refused at once: 429 with Retry-After", async () => {
    const open = [];
    try {
      for (let i = 0; i < env().MCP_LISTEN_MAX_PER_CALLER; i++) {
        const s = await listen({ ...auth(), ...sse });
        expect(s.res.status).toBe(200);
        open.push(s);
      }
      const refused = await fetch(`${plane.url}/mcp`, { headers: { ...auth(), ...sse } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(await refused.json()).toMatchObject({ error: { code: "too_many_streams" } });
      // Someone else is not held back by my streams.
      const theirs = await listen({ ...auth(otherToken), ...sse });
      expect(theirs.res.status).toBe(200);
      await theirs.close();
    } finally {
      for (const s of open) await s.close();
    }
    await expect.poll(() => services().mcpListen.hub.size).toBe(0);
  });
});

test("the Next route (npm run dev) serves the same stream, and a client going away frees its place", async () => {
  const before = services().mcpListen.hub.size;
  const res = await nextGet(new Request("http://127.0.0.1/api/mcp", { headers: { ...auth(), ...sse } }), { params: Promise.resolve({}) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = res.body!.getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toBe(": stream open\n\n");
  expect(services().mcpListen.hub.size).toBe(before + 1);
  await reader.cancel();
  expect(services().mcpListen.hub.size).toBe(before);
});

describe("DELETE /mcp: the session ends", () => {
  test("204, its stream closes, and its id is refused afterwards (404: initialize again)", async () => {
    const session = await initialize();
    const stream = await listen({ ...auth(), ...sse, "mcp-session-id": session });
    await expect.poll(stream.text).toContain(": stream open");
    const end = await fetch(`${plane.url}/mcp`, { method: "DELETE", headers: { ...auth(), "mcp-session-id": session } });
    expect(end.status).toBe(204);
    await expect.poll(stream.ended).toBe(true);
    const post = await fetch(`${plane.url}/mcp`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json", "mcp-session-id": session },
      body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }),
    });
    expect(post.status).toBe(404);
    const again = await fetch(`${plane.url}/mcp`, { headers: { ...auth(), ...sse, "mcp-session-id": session } });
    expect(again.status).toBe(404);
    await stream.close();
  });
});
