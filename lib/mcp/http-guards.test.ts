import { afterEach, describe, expect, test } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import { isProtectedResourcePath, mcpChallenge, mcpOriginRefusal, protectedResourceMetadata, withMcpGuards } from "./http-guards";

const saved = { ...process.env };
function setEnv(vars: Record<string, string>) {
  Object.assign(process.env, vars);
  resetEnvForTests();
}
afterEach(() => {
  process.env = { ...saved };
  resetEnvForTests();
});

describe("the 401 challenge and the protected resource metadata (RFC 9728)", () => {
  test("the challenge names the metadata at the public URL", () => {
    setEnv({ NEXTAUTH_URL: "https://canopy.example.com/" });
    expect(mcpChallenge()).toBe('Bearer resource_metadata="https://canopy.example.com/.well-known/oauth-protected-resource"');
  });

  test.each([
    ["/.well-known/oauth-protected-resource", true, "https://canopy.example.com"],
    ["/.well-known/oauth-protected-resource/mcp", true, "https://canopy.example.com/mcp"],
    ["/.well-known/oauth-protected-resource/api/mcp", true, "https://canopy.example.com/api/mcp"],
    ["/.well-known/oauth-protected-resource/api/v1/audit", false, null],
    ["/.well-known/oauth-protected-resourcex", false, null],
  ])("%s: served %s, resource %s", (path, served, resource) => {
    setEnv({ NEXTAUTH_URL: "https://canopy.example.com" });
    expect(isProtectedResourcePath(path)).toBe(served);
    if (served) expect(protectedResourceMetadata(path)).toMatchObject({ resource, bearer_methods_supported: ["header"] });
  });

  test.each([
    ["none configured", "", undefined],
    ["one", "https://idp.example.com", ["https://idp.example.com"]],
    ["two", "https://idp.example.com, https://login.example.org/tenant", ["https://idp.example.com", "https://login.example.org/tenant"]],
  ])("authorization servers: %s", (_label, setting, expected) => {
    setEnv({ MCP_AUTHORIZATION_SERVERS: setting });
    expect(protectedResourceMetadata("/.well-known/oauth-protected-resource").authorization_servers).toEqual(expected);
  });
});

describe("withMcpGuards around a handler", () => {
  const reached: string[] = [];
  const inner = withMcpGuards(async (req: Request) => {
    reached.push(req.headers.get("origin") ?? "none");
    return Response.json({ error: { code: "unauthorized", message: "no" } }, { status: 401 });
  });

  test.each([
    ["a foreign Origin", { origin: "http://evil.example" }, 403, false],
    ["a loopback Origin", { origin: "http://localhost:6274" }, 401, true],
    ["no Origin", {}, 401, true],
  ])("%s: %i, handler reached %s", async (_label, headers, status, handled) => {
    setEnv({ MCP_ALLOWED_ORIGINS: "self,loopback" });
    reached.length = 0;
    const res = await inner(new Request("http://127.0.0.1/api/mcp", { method: "POST", headers, body: "{}" }), {});
    expect(res.status).toBe(status);
    expect(reached.length > 0).toBe(handled);
    if (status === 403) expect(await res.json()).toMatchObject({ error: { code: "origin_not_allowed", details: { origin: "http://evil.example" } } });
    if (status === 401) expect(res.headers.get("www-authenticate")).toMatch(/^Bearer resource_metadata="http.*\/\.well-known\/oauth-protected-resource"$/);
  });

  test("the allowlist follows the setting", () => {
    setEnv({ MCP_ALLOWED_ORIGINS: "https://agents.example.org" });
    expect(mcpOriginRefusal("https://agents.example.org")).toBeNull();
    expect(mcpOriginRefusal("http://localhost:3000")?.status).toBe(403);
  });
});
