import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseUpstreamsConfig } from "./config";
import { rowToServer } from "./db-config";
import { UnknownToolError } from "./errors";
import { UpstreamRegistry } from "./registry";
import { startTestUpstream, type TestUpstream } from "./test-server";

/**
 * Upstreams mounted without a name prefix (`prefix: false`): their tools keep their own names, and
 * no such name may take over one that is governed elsewhere: another upstream's namespace, an
 * earlier unprefixed upstream's tool. The newcomer is hidden and reported, never called.
 */

let first: TestUpstream;
let second: TestUpstream;
let prefixed: TestUpstream;
let registry: UpstreamRegistry;
const events: { type: string; upstream: string; detail?: string }[] = [];

beforeAll(async () => {
  first = await startTestUpstream({ token: "t1", label: "first", extraTools: ["tickets.create_ticket", "cloud.estimate", "plain.dotted"] });
  second = await startTestUpstream({ token: "t2", label: "second", extraTools: ["only_second"] });
  prefixed = await startTestUpstream({ token: "t3", label: "prefixed" });
  const yaml = [
    "version: 1",
    "servers:",
    `  - { name: first, transport: http, url: "${first.url}", prefix: false, headers: { Authorization: "Bearer \${T1}" } }`,
    `  - { name: second, transport: http, url: "${second.url}", prefix: false, headers: { Authorization: "Bearer \${T2}" } }`,
    `  - { name: tickets, transport: http, url: "${prefixed.url}", headers: { Authorization: "Bearer \${T3}" } }`,
  ].join("\n");
  const secrets: Record<string, string> = { T1: "t1", T2: "t2", T3: "t3" };
  registry = new UpstreamRegistry(parseUpstreamsConfig(yaml), { baseDir: ".", resolveSecret: (n) => secrets[n], onEvent: (e) => events.push(e) });
});

afterAll(async () => {
  await registry?.close();
  await Promise.all([first?.stop(), second?.stop(), prefixed?.stop()]);
});

describe("prefix: false", () => {
  test("tools/list: bare names for unprefixed upstreams, the first upstream keeps a shared name, governed namespaces are never taken", async () => {
    const { tools, errors } = await registry.listTools();
    const byName = new Map(tools.map((t) => [t.name, t.upstream]));
    expect(Object.fromEntries(byName)).toEqual({
      create_ticket: "first",
      whoami: "first",
      "plain.dotted": "first",
      only_second: "second",
      "tickets.create_ticket": "tickets",
      "tickets.whoami": "tickets",
    });
    expect(errors.map((e) => `${e.upstream}: ${e.message}`).sort()).toEqual([
      expect.stringMatching(/^first: tool cloud.estimate of upstream first is hidden: it lies in the namespace of the built-in namespace cloud/),
      expect.stringMatching(/^first: tool tickets.create_ticket of upstream first is hidden: it lies in the namespace of upstream tickets/),
      expect.stringMatching(/^second: tool create_ticket of upstream second is hidden: upstream first offered it first/),
      expect.stringMatching(/^second: tool whoami of upstream second is hidden: upstream first offered it first/),
    ]);
    // Reported once each (the server log), however often the tools are listed.
    await registry.listTools();
    expect(events.filter((e) => e.type === "tool_hidden")).toHaveLength(4);
  });

  test.each([
    ["a bare name of the first upstream", "whoami", "first"],
    ["a bare name only the second offers", "only_second", "second: only_second"],
    ["a dotted bare name in no governed namespace", "plain.dotted", "first: plain.dotted"],
    ["the prefixed upstream's own name", "tickets.whoami", "prefixed"],
  ])("tools/call of %s (%s) reaches %s", async (_label, name, answer) => {
    const result = await registry.callTool(name, {});
    expect(result.content).toEqual([{ type: "text", text: answer }]);
  });

  test.each([
    ["a shadowed name: never the second upstream's", "create_ticket", "first"],
  ])("%s", async (_label, name, answer) => {
    const before = second.seen.calls;
    const result = await registry.callTool(name, { title: "x" });
    expect(result.content).toEqual([{ type: "text", text: `${answer}: created "x"` }]);
    expect(second.seen.calls).toBe(before);
  });

  test.each([
    ["an upstream name used as a prefix of an unprefixed upstream", "first.whoami"],
    ["a hidden name in a governed namespace", "cloud.estimate"],
    ["a name nobody offers", "nobody_has_this"],
  ])("%s (%s): UnknownToolError, nothing called", async (_label, name) => {
    const before = first.seen.calls + second.seen.calls;
    await expect(registry.callTool(name, {})).rejects.toBeInstanceOf(UnknownToolError);
    expect(first.seen.calls + second.seen.calls).toBe(before);
  });

  test("tickets.create_ticket goes to the prefixed upstream, never to the unprefixed tool of that name", async () => {
    const before = first.seen.calls;
    const result = await registry.callTool("tickets.create_ticket", { title: "y" });
    expect(result.content).toEqual([{ type: "text", text: 'prefixed: created "y"' }]);
    expect(first.seen.calls).toBe(before);
  });

  test("an admin-managed (database) upstream cannot be unprefixed: the stored mapping refuses the key", () => {
    const row = { tenantId: "t", name: "x", transport: "http", url: "https://x.example/mcp", command: null, headers: {}, enabled: true, toolMappings: { prefix: false } };
    const parsed = rowToServer(row as unknown as Parameters<typeof rowToServer>[0]);
    expect(parsed).toMatchObject({ ok: false, problem: expect.stringMatching(/prefix/) });
  });
});

describe("a name offered late never takes over one already in use", () => {
  test("the first upstream comes up after the second took create_ticket: its create_ticket is hidden, calls stay with the second", async () => {
    const a = await startTestUpstream({ token: "late-a", label: "late" });
    const b = await startTestUpstream({ token: "late-b", label: "early" });
    const secrets: Record<string, string> = { A: "wrong-token", B: "late-b" };
    const yaml = [
      "version: 1",
      "servers:",
      `  - { name: late, transport: http, url: "${a.url}", prefix: false, headers: { Authorization: "Bearer \${A}" } }`,
      `  - { name: early, transport: http, url: "${b.url}", prefix: false, headers: { Authorization: "Bearer \${B}" } }`,
    ].join("\n");
    let clock = 1_000_000;
    const reg = new UpstreamRegistry(parseUpstreamsConfig(yaml), { baseDir: ".", resolveSecret: (n) => secrets[n], backoff: { initialMs: 1000, maxMs: 1000 }, now: () => clock });
    try {
      // `late` refuses the gateway (wrong token): `early` is the only one offering create_ticket.
      expect((await reg.callTool("create_ticket", { title: "1" })).content).toEqual([{ type: "text", text: 'early: created "1"' }]);
      secrets.A = "late-a";
      clock += 60_000; // past the reconnect backoff
      const { tools, errors } = await reg.listTools();
      expect(tools.filter((t) => t.name === "create_ticket").map((t) => t.upstream)).toEqual(["early"]);
      expect(errors).toContainEqual({ upstream: "late", message: expect.stringMatching(/tool create_ticket of upstream late is hidden: upstream early offered it first/) });
      const before = a.seen.calls;
      expect((await reg.callTool("create_ticket", { title: "2" })).content).toEqual([{ type: "text", text: 'early: created "2"' }]);
      expect(a.seen.calls).toBe(before);
    } finally {
      await reg.close();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe("a transparent proxy of tool definitions and results", () => {
  test("title, outputSchema, annotations, execution and _meta pass through; structuredContent and the result's _meta too; a task-only tool is hidden and not callable", async () => {
    const up = await startTestUpstream({ token: "rich", label: "rich", richTools: true });
    const reg = new UpstreamRegistry(parseUpstreamsConfig(`version: 1\nservers:\n  - { name: rich, transport: http, url: "${up.url}", headers: { Authorization: "Bearer \${R}" } }\n`), { baseDir: ".", resolveSecret: () => "rich" });
    try {
      const { tools, errors } = await reg.listTools();
      const rich = tools.find((t) => t.name === "rich.rich");
      expect(rich).toMatchObject({
        title: "Rich tool",
        outputSchema: { type: "object", properties: { answer: { type: "number" } } },
        annotations: { readOnlyHint: true, title: "Rich" },
        execution: { taskSupport: "forbidden" },
        _meta: { "example.com/owner": "team-a" },
      });
      expect(tools.map((t) => t.name)).not.toContain("rich.task_only");
      expect(errors).toContainEqual({ upstream: "rich", message: expect.stringMatching(/tool task_only is hidden: it can only be called as a task/) });
      const result = await reg.callTool("rich.rich", {});
      expect(result).toMatchObject({ structuredContent: { answer: 42 }, _meta: { "example.com/run": "r1" } });
      await expect(reg.callTool("rich.task_only", {})).rejects.toBeInstanceOf(UnknownToolError);
    } finally {
      await reg.close();
      await up.stop();
    }
  });
});
