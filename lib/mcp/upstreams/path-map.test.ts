import { describe, expect, test } from "vitest";
import { HIDDEN_PATH, hostPathScrubber, mapPaths, unmapPathsInResult } from "./path-map";
import { serverForTenant } from "./tenant-pool";
import { parseUpstreamsConfig, type StdioServerConfig } from "./config";

const map = { "/sandbox": "data/box" };

describe("mapPaths", () => {
  test.each([
    ["inside the prefix", { path: "/sandbox/tmp/a.txt" }, { path: "/base/data/box/tmp/a.txt" }],
    ["the prefix itself", { path: "/sandbox" }, { path: "/base/data/box" }],
    ["traversal normalized first, out of the prefix: unchanged", { path: "/sandbox/../etc/passwd" }, { path: "/sandbox/../etc/passwd" }],
    ["a look-alike prefix is not the prefix", { path: "/sandboxevil/x" }, { path: "/sandboxevil/x" }],
    ["a relative path is left for the upstream to refuse", { path: "sandbox/x" }, { path: "sandbox/x" }],
    ["other arguments untouched", { path: "/sandbox/a", content: "/sandbox/not-a-path" }, { path: "/base/data/box/a", content: "/sandbox/not-a-path" }],
  ])("%s", (_label, args, expected) => {
    expect(mapPaths(args, undefined, map, "/base")).toEqual(expected);
  });

  test("fact sources name the path arguments, lists mapped element by element", () => {
    expect(mapPaths({ paths: ["/sandbox/a", "/tmp/b"] }, { path: "paths" }, map, "/base")).toEqual({ paths: ["/base/data/box/a", "/tmp/b"] });
    expect(mapPaths({ source: "/sandbox/a", destination: "/sandbox/b" }, { path: ["source", "destination"] }, map, "/base")).toEqual({
      source: "/base/data/box/a",
      destination: "/base/data/box/b",
    });
  });

  test("no map, no change", () => {
    const args = { path: "/sandbox/a" };
    expect(mapPaths(args, undefined, {}, "/base")).toBe(args);
  });
});

describe("unmapPathsInResult", () => {
  const scrub = hostPathScrubber({ map, baseDir: "/base", roots: ["."] });
  test("real folders in an answer are shown as their virtual prefix", () => {
    const result = { content: [{ type: "text", text: "Successfully wrote to /base/data/box/tmp/a.txt" }], structuredContent: { path: "/base/data/box" } };
    expect(unmapPathsInResult(result, scrub)).toEqual({
      content: [{ type: "text", text: "Successfully wrote to /sandbox/tmp/a.txt" }],
      structuredContent: { path: "/sandbox" },
    });
  });
  test("answers without host paths are returned as they are", () => {
    const result = { content: [{ type: "text", text: "ok" }] };
    expect(unmapPathsInResult(result, scrub)).toBe(result);
  });
});

/** The per-tenant jail of upstreams.yaml's fs server, for tenants acme and acme-2 (a prefix of each other's name). */
const fs = parseUpstreamsConfig(`
servers:
  - name: fs
    transport: stdio
    command: node
    per_tenant: true
    args: [".data/sandbox/\${TENANT}"]
    create_dirs: [".data/sandbox/\${TENANT}/tmp"]
    path_map: { /sandbox: ".data/sandbox/\${TENANT}" }
`).servers[0] as StdioServerConfig;
const jailOf = (tenant: string) => serverForTenant(fs, tenant).path_map;
const scrubFor = (tenant: string) => hostPathScrubber({ map: jailOf(tenant), baseDir: "/srv/canopy", roots: [".", ".data/sandbox"] });

describe("host paths in error texts", () => {
  test.each([
    [
      "the caller's own jail is shown as /sandbox",
      "acme",
      "Error: ENOENT: no such file or directory, open '/srv/canopy/.data/sandbox/acme/tmp/missing.txt'",
      "Error: ENOENT: no such file or directory, open '/sandbox/tmp/missing.txt'",
    ],
    [
      "the allowed directory in a refusal",
      "acme",
      "Access denied - path outside allowed directories: /etc/passwd not in /srv/canopy/.data/sandbox/acme",
      "Access denied - path outside allowed directories: /etc/passwd not in /sandbox",
    ],
    [
      "another tenant's jail has no virtual name: hidden",
      "acme",
      "Access denied - path outside allowed directories: /srv/canopy/.data/sandbox/acme-2/tmp/secret.txt not in /srv/canopy/.data/sandbox/acme",
      `Access denied - path outside allowed directories: ${HIDDEN_PATH} not in /sandbox`,
    ],
    [
      "a jail whose name starts like the caller's is not the caller's",
      "acme",
      "/srv/canopy/.data/sandbox/acme-2/x and /srv/canopy/.data/sandbox/acme/y",
      `${HIDDEN_PATH} and /sandbox/y`,
    ],
    ["any other path under the gateway's folder is hidden", "acme", "cannot read /srv/canopy/.env: denied", `cannot read ${HIDDEN_PATH}: denied`],
    ["paths outside the gateway's folders are the caller's own words", "acme", "not in /etc/passwd", "not in /etc/passwd"],
    ["a look-alike of the gateway's folder is not it", "acme", "/srv/canopy-other/file", "/srv/canopy-other/file"],
  ])("%s", (_label, tenant, text, shown) => {
    expect(scrubFor(tenant)(text)).toBe(shown);
  });

  test("in a whole MCP answer (JSON text), quotes and all", () => {
    const result = { isError: true, content: [{ type: "text", text: 'Error: EISDIR: "/srv/canopy/.data/sandbox/acme"' }] };
    expect(unmapPathsInResult(result, scrubFor("acme"))).toEqual({ isError: true, content: [{ type: "text", text: 'Error: EISDIR: "/sandbox"' }] });
  });
});

describe("per-tenant jails through path_map", () => {
  test("${TENANT} is substituted in args, create_dirs and path_map", () => {
    expect(serverForTenant(fs, "acme")).toMatchObject({ args: [".data/sandbox/acme"], create_dirs: [".data/sandbox/acme/tmp"], path_map: { "/sandbox": ".data/sandbox/acme" } });
  });

  test.each([["../acme"], ["acme/.."], ["Acme"], [""], ["a/b"], ["."], ["-x"], ["a".repeat(64)]])("a tenant id that is not a slug (%s) is refused before any path is built", (tenant) => {
    expect(() => serverForTenant(fs, tenant)).toThrow(/is not a slug/);
  });

  test.each([
    ["/sandbox/../acme/tmp/secret.txt"],
    ["/sandbox/tmp/../../acme/tmp/secret.txt"],
    ["/sandbox/./../acme/tmp/secret.txt"],
    ["/sandbox//..//acme/tmp/secret.txt"],
    ["/sandbox/tmp/../../../sandbox/acme/tmp/secret.txt"],
  ])("tenant other cannot climb into acme's folder: %s", (p) => {
    const mapped = mapPaths({ path: p }, undefined, jailOf("other"), "/srv/canopy").path as string;
    // Either left outside every prefix (the filesystem server refuses it) or inside other's jail.
    expect(mapped.startsWith("/srv/canopy/.data/sandbox/acme")).toBe(false);
    expect(mapped === p || mapped.startsWith("/srv/canopy/.data/sandbox/other/") || mapped === "/srv/canopy/.data/sandbox/other").toBe(true);
  });
});
