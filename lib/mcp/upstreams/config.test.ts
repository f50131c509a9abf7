import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseUpstreamsConfig } from "./config";
import { UpstreamConfigError } from "./errors";
import { interpolate, interpolateRecord } from "./secrets";

function problems(text: string): string[] {
  try {
    parseUpstreamsConfig(text, "u.yaml");
    return [];
  } catch (e) {
    if (e instanceof UpstreamConfigError) return e.problems;
    throw e;
  }
}

describe("parseUpstreamsConfig", () => {
  test("the shipped upstreams.yaml fronts the filesystem server with the seed's aliases", () => {
    const config = parseUpstreamsConfig(readFileSync("upstreams.yaml", "utf8"));
    const fs = config.servers.find((s) => s.name === "fs");
    expect(fs).toMatchObject({
      transport: "stdio",
      package: "@modelcontextprotocol/server-filesystem",
      // One jail per tenant by default.
      per_tenant: true,
      max_processes: 8,
      args: [".data/sandbox/${TENANT}"],
      create_dirs: [".data/sandbox/${TENANT}", ".data/sandbox/${TENANT}/tmp", ".data/sandbox/${TENANT}/out"],
      path_map: { "/sandbox": ".data/sandbox/${TENANT}" },
    });
    expect(fs!.tools.write_file).toMatchObject({ aliases: ["fs.write"], keep_original: false, facts: { path: "path", body: "content" } });
    expect(fs!.tools.read_text_file.aliases).toEqual(["fs.read"]);
    expect(fs!.transport === "stdio" && fs!.command).toBeUndefined();
  });

  test("fills defaults", () => {
    const c = parseUpstreamsConfig("servers:\n  - name: api\n    transport: http\n    url: https://mcp.example.com/mcp\n");
    expect(c).toEqual({ version: 1, servers: [{ name: "api", transport: "http", url: "https://mcp.example.com/mcp", headers: {}, enabled: true, prefix: true, path_map: {}, tools: {} }] });
  });

  test.each([
    ["absent: names are prefixed", "", true],
    ["prefix: false: names as the upstream gives them", "    prefix: false\n", false],
  ])("prefix %s", (_label, line, expected) => {
    const c = parseUpstreamsConfig(`servers:\n  - name: api\n    transport: http\n    url: https://mcp.example.com/mcp\n${line}`);
    expect(c.servers[0].prefix).toBe(expected);
  });

  test.each([
    ["bad YAML", "servers: [\n  - name: x\n", /^u\.yaml:2:3: Block collections are not allowed within flow collections/],
    ["unknown transport", "servers:\n  - name: x\n    transport: ws\n", /^u\.yaml:3:16 servers\[0\]\.transport: transport must be stdio or http/],
    ["upper-case name", "servers:\n  - name: FS\n    transport: stdio\n    command: x\n", /^u\.yaml:2:11 servers\[0\]\.name: expected a lowercase name/],
    ["a built-in namespace", "servers:\n  - name: cloud\n    transport: stdio\n    command: x\n", /servers\[0\]\.name: cloud is reserved for built-in tools/],
    ["neither command nor package", "servers:\n  - name: x\n    transport: stdio\n", /servers\[0\]\.command: set exactly one of `command` or `package`/],
    ["a typo'd key", "servers:\n  - name: x\n    transport: stdio\n    command: x\n    argz: []\n", /servers\[0\]: Unrecognized key: "argz"/],
    ["a literal bearer token", "servers:\n  - name: x\n    transport: http\n    url: https://a.example/mcp\n    headers:\n      Authorization: Bearer abc123\n", /^u\.yaml:6:22 servers\[0\]\.headers\.Authorization: credential headers must reference a secret/],
    ["a literal API key in a child's env", "servers:\n  - name: x\n    transport: stdio\n    command: x\n    env:\n      OPENAI_API_KEY: sk-123\n", /servers\[0\]\.env\.OPENAI_API_KEY: looks like a credential/],
    ["credentials in the URL", "servers:\n  - name: x\n    transport: http\n    url: https://u:p@a.example/mcp\n", /servers\[0\]\.url: no credentials in the URL/],
    ["an IPv6 zone id in the URL", "servers:\n  - name: x\n    transport: http\n    url: \"http://[fe80::1%25eth0]:9/mcp\"\n", /servers\[0\]\.url: expected an http\(s\) URL/],
    ["prefix that is not a boolean", "servers:\n  - name: x\n    transport: http\n    url: https://a.example/mcp\n    prefix: \"no\"\n", /servers\[0\]\.prefix: Invalid input: expected boolean/],
    ["a non-http URL", "servers:\n  - name: x\n    transport: http\n    url: ftp://a.example/mcp\n", /servers\[0\]\.url: expected an http\(s\) URL/],
    ["an alias without a namespace", "servers:\n  - name: x\n    transport: stdio\n    command: x\n    tools:\n      write_file: { aliases: [write] }\n", /servers\[0\]\.tools\.write_file\.aliases\[0\]: expected a dotted tool name/],
    ["a duplicate upstream", "servers:\n  - { name: x, transport: stdio, command: a }\n  - { name: x, transport: stdio, command: b }\n", /servers\[1\]\.name: duplicate upstream name x \(also servers\[0\]\)/],
    ["a duplicate alias", "servers:\n  - name: x\n    transport: stdio\n    command: a\n    tools:\n      a: { aliases: [x.w] }\n      b: { aliases: [x.w] }\n", /servers\[0\]\.tools\.b\.aliases\[0\]: alias x\.w is already used by servers\[0\]\.tools\.a/],
    ["per_tenant without ${TENANT} in args or cwd", "servers:\n  - name: x\n    transport: stdio\n    command: a\n    per_tenant: true\n    args: [.data/box]\n", /servers\[0\]\.per_tenant: per_tenant needs \$\{TENANT\} in args or cwd/],
    ["${TENANT} without per_tenant", "servers:\n  - name: x\n    transport: stdio\n    command: a\n    args: [\"box/${TENANT}\"]\n    path_map: { /box: \"box/${TENANT}\" }\n", /servers\[0\]\.args\[0\]: \$\{TENANT\} is only substituted with per_tenant: true[\s\S]*servers\[0\]\.path_map\./],
    ["max_processes without per_tenant", "servers:\n  - name: x\n    transport: stdio\n    command: a\n    max_processes: 4\n", /servers\[0\]\.max_processes: max_processes goes with per_tenant: true/],
    ["max_processes 0", "servers:\n  - name: x\n    transport: stdio\n    command: a\n    per_tenant: true\n    args: [\"b/${TENANT}\"]\n    max_processes: 0\n", /servers\[0\]\.max_processes: Too small/],
    ["${TENANT} in env", "servers:\n  - name: x\n    transport: stdio\n    command: a\n    per_tenant: true\n    args: [\"b/${TENANT}\"]\n    env: { HOME: \"/h/${TENANT}\" }\n", /servers\[0\]\.env\.HOME: \$\{TENANT\} is substituted only in args, create_dirs, cwd and path_map/],
    ["per_tenant on an http upstream", "servers:\n  - name: x\n    transport: http\n    url: https://a.example/mcp\n    per_tenant: true\n", /servers\[0\]: Unrecognized key: "per_tenant"/],
  ])("refuses %s with file:line:col and the key path", (_label, text, pattern) => {
    expect(problems(text).join("\n")).toMatch(pattern);
  });

  test("a referenced credential is accepted", () => {
    expect(problems("servers:\n  - name: x\n    transport: http\n    url: https://a.example/mcp\n    headers:\n      Authorization: Bearer ${X_TOKEN}\n      X-Team: blue\n")).toEqual([]);
  });
});

describe("secret references", () => {
  const secrets: Record<string, string> = { X_TOKEN: "s3cr3t", REGION: "eu" };
  const resolve = (n: string) => secrets[n];

  test.each([
    ["a whole value", "${X_TOKEN}", "s3cr3t"],
    ["inside text", "Bearer ${X_TOKEN}", "Bearer s3cr3t"],
    ["several", "${REGION}/${X_TOKEN}", "eu/s3cr3t"],
    ["no reference", "plain", "plain"],
  ])("%s", (_label, value, expected) => {
    expect(interpolate(value, resolve, "h")).toBe(expected);
  });

  test("an unset secret is named, with where it is used", () => {
    expect(() => interpolateRecord({ Authorization: "Bearer ${MISSING}" }, resolve, "upstream x headers")).toThrow(
      "upstream x headers.Authorization references ${MISSING}, which is not set",
    );
  });
});
