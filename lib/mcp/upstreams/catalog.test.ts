import type { Prompt, Resource, ResourceTemplate } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, test } from "vitest";
import { UpstreamCatalog, type UpstreamHandle } from "./catalog";
import type { OfferingKind, Offerings, UpstreamEvent } from "./connection";

/** An upstream whose offerings a test changes between listings (as a list_changed would). */
interface FakeUpstream {
  name: string;
  prefixed: boolean;
  offerings: Offerings;
  /** Tenants that may see it (absent: all). */
  tenants?: string[];
  down?: boolean;
}

const res = (uri: string): Resource => ({ uri, name: uri });
const tpl = (uriTemplate: string): ResourceTemplate => ({ uriTemplate, name: uriTemplate });
const prompt = (name: string): Prompt => ({ name });
const none = (): Offerings => ({ resources: [], resourceTemplates: [], prompts: [] });

function setUp(upstreams: FakeUpstream[], namespaces: string[] = []) {
  const events: UpstreamEvent[] = [];
  const handle = (u: FakeUpstream): UpstreamHandle => ({
    key: `file/*/${u.name}`,
    name: u.name,
    prefixed: u.prefixed,
    timeoutMs: 1000,
    capabilities: async () => ({}),
    list: async <K extends OfferingKind>(kind: K) => {
      if (u.down) throw new Error(`upstream ${u.name} is unavailable`);
      return u.offerings[kind];
    },
    request: async () => {
      throw new Error("not used");
    },
  });
  const catalog = new UpstreamCatalog(
    {
      handles: async (tenant) => upstreams.filter((u) => !u.tenants || (tenant !== undefined && u.tenants.includes(tenant))).map(handle),
      namespaceClaim: (name) => {
        const ns = name.slice(0, Math.max(0, name.indexOf(".")));
        return [...upstreams.filter((u) => u.prefixed).map((u) => u.name), ...namespaces].includes(ns) ? `upstream ${ns}` : undefined;
      },
    },
    (e) => events.push(e),
  );
  return { catalog, events };
}

const ids = async (catalog: UpstreamCatalog, kind: OfferingKind, tenant = "t1") =>
  (await catalog.list(kind, tenant)).items.map((i) => ("uri" in i.exposed ? i.exposed.uri : "uriTemplate" in i.exposed ? i.exposed.uriTemplate : i.exposed.name));

describe("exposed names", () => {
  test.each([
    { label: "a prefixed upstream's resource URI carries its name", kind: "resources" as const, offer: { ...none(), resources: [res("file:///a.md")] }, prefixed: true, expected: ["docs.file:///a.md"] },
    { label: "a prefixed upstream's template too", kind: "resourceTemplates" as const, offer: { ...none(), resourceTemplates: [tpl("file:///{path}")] }, prefixed: true, expected: ["docs.file:///{path}"] },
    { label: "a prefixed upstream's prompt is <upstream>.<prompt>", kind: "prompts" as const, offer: { ...none(), prompts: [prompt("summarize")] }, prefixed: true, expected: ["docs.summarize"] },
    { label: "an unprefixed upstream's names are as they are", kind: "resources" as const, offer: { ...none(), resources: [res("test://x")] }, prefixed: false, expected: ["test://x"] },
  ])("$label", async ({ kind, offer, prefixed, expected }) => {
    const { catalog } = setUp([{ name: "docs", prefixed, offerings: offer }]);
    expect(await ids(catalog, kind)).toEqual(expected);
  });
});

describe("collisions between unprefixed upstreams", () => {
  test.each([
    { label: "resource URI", kind: "resources" as const, make: (id: string) => ({ ...none(), resources: [res(id)] }), id: "test://shared" },
    { label: "resource template", kind: "resourceTemplates" as const, make: (id: string) => ({ ...none(), resourceTemplates: [tpl(id)] }), id: "test://{x}" },
    { label: "prompt name", kind: "prompts" as const, make: (id: string) => ({ ...none(), prompts: [prompt(id)] }), id: "summarize" },
  ])("the first upstream keeps a $label; the second's is hidden and reported", async ({ kind, make, id }) => {
    const { catalog, events } = setUp([
      { name: "first", prefixed: false, offerings: make(id) },
      { name: "second", prefixed: false, offerings: make(id) },
    ]);
    const listing = await catalog.list(kind, "t1");
    expect(listing.items.map((i) => i.upstream)).toEqual(["first"]);
    expect(listing.errors).toEqual([{ upstream: "second", message: expect.stringContaining("upstream first offered it first") }]);
    expect(events).toEqual([expect.objectContaining({ type: expect.stringMatching(/_hidden$/), upstream: "second", name: id, tenant: "t1" })]);
  });

  test("a newcomer brought by list_changed never shadows a governed name, and is reported once per tenant", async () => {
    const a: FakeUpstream = { name: "a", prefixed: false, offerings: none() };
    const b: FakeUpstream = { name: "b", prefixed: false, offerings: { ...none(), prompts: [prompt("deploy")] } };
    const { catalog, events } = setUp([a, b]);
    expect(await ids(catalog, "prompts")).toEqual(["deploy"]);
    // a (listed first) now offers the same name: b keeps it, a's is hidden.
    a.offerings = { ...none(), prompts: [prompt("deploy")] };
    const listing = await catalog.list("prompts", "t1");
    expect(listing.items).toEqual([{ exposed: prompt("deploy"), upstream: "b" }]);
    expect((await catalog.route("prompts", "deploy", "t1"))?.handle.name).toBe("b");
    await catalog.list("prompts", "t1");
    await catalog.list("prompts", "t2");
    expect(events.map((e) => [e.type, e.upstream, e.tenant])).toEqual([
      ["prompt_hidden", "a", "t1"],
      ["prompt_hidden", "a", "t2"],
    ]);
  });

  test("an unprefixed name inside a prefixed upstream's namespace is hidden", async () => {
    const { catalog } = setUp([
      { name: "docs", prefixed: true, offerings: { ...none(), prompts: [prompt("summarize")] } },
      { name: "bare", prefixed: false, offerings: { ...none(), prompts: [prompt("docs.summarize"), prompt("ok")] } },
    ]);
    const listing = await catalog.list("prompts", "t1");
    expect(listing.items.map((i) => [i.exposed.name, i.upstream])).toEqual([
      ["docs.summarize", "docs"],
      ["ok", "bare"],
    ]);
    expect((await catalog.route("prompts", "docs.summarize", "t1"))).toMatchObject({ handle: { name: "docs" }, original: "summarize" });
  });
});

describe("routing", () => {
  const setUpRouting = () =>
    setUp([
      { name: "docs", prefixed: true, offerings: { ...none(), resources: [res("file:///a.md")] } },
      { name: "one", prefixed: false, offerings: { ...none(), resources: [res("test://listed")], resourceTemplates: [tpl("test://items/{id}")] } },
      { name: "two", prefixed: false, offerings: { ...none(), resourceTemplates: [tpl("test://items/{id}/more"), tpl("test://other/{id}")] } },
      { name: "private", prefixed: false, tenants: ["t2"], offerings: { ...none(), resources: [res("test://only-t2")] } },
    ]);

  test.each([
    { label: "a prefixed URI goes to its upstream, prefix removed (even unlisted)", uri: "docs.file:///unlisted.md", expected: { upstream: "docs", original: "file:///unlisted.md" } },
    { label: "a listed bare URI goes to the upstream that listed it", uri: "test://listed", expected: { upstream: "one", original: "test://listed" } },
    { label: "a bare URI a template matches goes to that template's upstream", uri: "test://other/5", expected: { upstream: "two", original: "test://other/5" } },
    { label: "the first upstream's template wins where two match", uri: "test://items/5", expected: { upstream: "one", original: "test://items/5" } },
    { label: "a URI nothing serves has no route", uri: "test://nothing", expected: null },
    { label: "another tenant's upstream's resource is not routed", uri: "test://only-t2", expected: null },
  ])("$label", async ({ uri, expected }) => {
    const { catalog } = setUpRouting();
    const route = await catalog.routeResource(uri, "t1");
    expect(route ? { upstream: route.handle.name, original: route.original } : null).toEqual(expected);
  });

  test("another tenant's upstream's resources are not listed, and its own tenant sees them", async () => {
    const { catalog } = setUpRouting();
    expect(await ids(catalog, "resources", "t1")).not.toContain("test://only-t2");
    expect(await ids(catalog, "resources", "t2")).toContain("test://only-t2");
  });

  test("an unreachable upstream is reported and the others still listed", async () => {
    const { catalog } = setUp([
      { name: "down", prefixed: false, down: true, offerings: none() },
      { name: "up", prefixed: false, offerings: { ...none(), prompts: [prompt("p")] } },
    ]);
    const listing = await catalog.list("prompts", "t1");
    expect(listing.items.map((i) => i.upstream)).toEqual(["up"]);
    expect(listing.errors).toEqual([{ upstream: "down", message: "upstream down is unavailable" }]);
  });
});
