import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CallRelay } from "../relay/types";
import { parseUpstreamsConfig } from "./config";
import { UpstreamRegistry } from "./registry";

/**
 * A raw stdio MCP server that writes a call's progress notifications and its response in ONE
 * write, so the gateway reads them in one chunk: the SDK client's own progress routing loses the
 * notifications of such a chunk (it forgets the request's progress handler on the response before
 * its notification handlers run), which is how the conformance suite saw 2 of 3 progress
 * notifications under load.
 */
const SERVER = `
let buf = "";
const out = (...ms) => process.stdout.write(ms.map((m) => JSON.stringify(m) + "\\n").join(""));
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const m = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (m.method === "initialize") out({ jsonrpc: "2.0", id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "burst", version: "1" } } });
    else if (m.method === "tools/list") out({ jsonrpc: "2.0", id: m.id, result: { tools: [{ name: "burst", inputSchema: { type: "object" } }] } });
    else if (m.method === "tools/call") {
      const token = m.params._meta?.progressToken;
      const n = Number(m.params.arguments?.n ?? 0);
      const progress = token === undefined ? [] : Array.from({ length: n }, (_, k) => ({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: token, progress: k + 1, total: n } }));
      out(...progress, { jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: "done" }] } });
    } else if ("id" in m && m.method) out({ jsonrpc: "2.0", id: m.id, result: {} });
  }
});
`;

function recordingRelay(progressToken: string | number | undefined) {
  const seen: [string, Record<string, unknown>][] = [];
  const relay: CallRelay = {
    progressToken,
    notify: (method, params) => void seen.push([method, params]),
    request: () => Promise.reject(new Error("not asked in this test")),
  };
  return { relay, seen };
}

describe("stdio upstream progress sent in the same chunk as the response", () => {
  let dir: string;
  let registry: UpstreamRegistry;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "canopy-burst-"));
    writeFileSync(path.join(dir, "burst.mjs"), SERVER);
    registry = new UpstreamRegistry(
      parseUpstreamsConfig(`
servers:
  - name: burst
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(path.join(dir, "burst.mjs"))}]
    prefix: false
`),
      { baseDir: dir, resolveSecret: () => undefined },
    );
  });
  afterAll(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    { label: "one notification", n: 1, token: "caller-token" },
    { label: "three notifications, a numeric caller token", n: 3, token: 7 },
  ])("every notification reaches the caller under its token, before the result ($label)", async ({ n, token }) => {
    const { relay, seen } = recordingRelay(token);
    const r = await registry.callTool("burst", { n }, { relay });
    expect(r.content).toEqual([{ type: "text", text: "done" }]);
    expect(seen).toEqual(Array.from({ length: n }, (_, k) => ["notifications/progress", { progressToken: token, progress: k + 1, total: n }]));
  });

  test("a caller that asked for no progress gets none", async () => {
    const { relay, seen } = recordingRelay(undefined);
    await registry.callTool("burst", { n: 2 }, { relay });
    expect(seen).toEqual([]);
  });

  test("calls in parallel each get their own progress only", async () => {
    const a = recordingRelay("a");
    const b = recordingRelay("b");
    await Promise.all([registry.callTool("burst", { n: 2 }, { relay: a.relay }), registry.callTool("burst", { n: 3 }, { relay: b.relay })]);
    expect(a.seen.map(([, p]) => [p.progressToken, p.progress])).toEqual([["a", 1], ["a", 2]]);
    expect(b.seen.map(([, p]) => [p.progressToken, p.progress])).toEqual([["b", 1], ["b", 2], ["b", 3]]);
  });
});
