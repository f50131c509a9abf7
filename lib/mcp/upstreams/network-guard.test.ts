import { describe, expect, test } from "vitest";
import { assertPublicUpstream, isInternalAddress } from "./network-guard";

describe("upstream network guard", () => {
  test.each([
    ["127.0.0.1", true], ["10.1.2.3", true], ["172.16.0.1", true], ["172.32.0.1", false], ["192.168.1.1", true],
    ["169.254.169.254", true], ["100.64.0.1", true], ["0.0.0.0", true], ["8.8.8.8", false], ["::1", true],
    ["fd00::1", true], ["fe80::1", true], ["::ffff:127.0.0.1", true], ["2001:4860::8888", false],
  ])("%s internal: %s", (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal);
  });

  test.each([
    ["http://127.0.0.1:9/mcp", /internal address \(127\.0\.0\.1\)/],
    ["http://localhost:9/mcp", /is local/],
    ["http://[::1]:9/mcp", /internal address/],
    ["http://169.254.169.254/latest", /internal address/],
    ["http://no-such-host.invalid/mcp", /does not resolve/],
  ])("refuses %s", async (url, pattern) => {
    await expect(assertPublicUpstream(url, false)).rejects.toThrow(pattern);
  });

  test("the operator can allow internal upstreams", async () => {
    await expect(assertPublicUpstream("http://127.0.0.1:9/mcp", true)).resolves.toBeUndefined();
  });
});
