import { describe, expect, test } from "vitest";
import { originAllowed, parseOriginAllowlist } from "./origin-allowlist";

const PUBLIC = "https://canopy.example.com";

describe("Origin allowlist (DNS-rebinding protection of /mcp)", () => {
  test.each([
    ["no Origin header (not a browser)", "self,loopback", undefined, true],
    ["the public URL's origin", "self,loopback", "https://canopy.example.com", true],
    ["the public host on another port", "self,loopback", "https://canopy.example.com:8443", false],
    ["the public host over http", "self,loopback", "http://canopy.example.com", false],
    ["localhost on any port", "self,loopback", "http://localhost:6274", true],
    ["127.0.0.1", "self,loopback", "http://127.0.0.1:3000", true],
    ["[::1]", "self,loopback", "http://[::1]:3000", true],
    ["a rebinding attacker's page", "self,loopback", "http://evil.example:3000", false],
    ["a look-alike of localhost", "self,loopback", "http://localhost.evil.example", false],
    ["127.0.0.1 as a subdomain", "self,loopback", "http://127.0.0.1.evil.example", false],
    ["the opaque origin null", "self,loopback", "null", false],
    ["not a URL", "self,loopback", "garbage", false],
    ["a non-http scheme", "self,loopback", "file://", false],
    ["loopback when only self is allowed", "self", "http://localhost:6274", false],
    ["an exact origin listed", "https://agents.example.org", "https://agents.example.org", true],
    ["an exact origin, other port", "https://agents.example.org", "https://agents.example.org:444", false],
    ["anything under *", "*", "http://evil.example", true],
    ["null under *", "*", "null", true],
  ])("%s (%s, Origin %s): allowed %s", (_label, setting, origin, expected) => {
    expect(originAllowed(origin, parseOriginAllowlist(setting), PUBLIC)).toBe(expected);
  });

  test.each([
    ["a path", "https://agents.example.org/app"],
    ["a non-http scheme", "ftp://agents.example.org"],
    ["a bare host", "agents.example.org"],
    ["an unknown word", "localhosts"],
  ])("an entry with %s is refused at start-up, naming it", (_label, entry) => {
    expect(() => parseOriginAllowlist(`self,${entry}`)).toThrow(entry);
  });
});
