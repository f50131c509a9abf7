import { describe, expect, test } from "vitest";
import { addressProblem, guardedLookup, resolveTargetAddress } from "./net";
import { putTarget, testOps } from "./testing";
import { testConfig } from "./testing";

describe("where backends may connect", () => {
  test.each([
    ["cloud metadata", "169.254.169.254", false, /linkLocal/],
    ["IPv6 link-local", "fe80::1", false, /linkLocal/],
    ["unspecified", "0.0.0.0", false, /unspecified/],
    ["IPv6 unspecified", "::", false, /unspecified/],
    ["multicast", "224.0.0.1", false, /multicast/],
    ["broadcast", "255.255.255.255", false, /broadcast/],
    ["IPv4-mapped metadata", "::ffff:169.254.169.254", false, /linkLocal/],
    ["loopback by default", "127.0.0.1", false, /loopback/],
    ["IPv6 loopback by default", "::1", false, /loopback/],
    ["loopback allowed", "127.0.0.1", true, null],
    ["metadata even with loopback allowed", "169.254.169.254", true, /linkLocal/],
    ["private network", "10.20.0.5", false, null],
    ["tailnet", "100.101.102.103", false, null],
    ["unique local", "fd00::5", false, null],
    ["public", "93.184.216.34", false, null],
  ])("%s", (_label, address, allowLoopback, expected) => {
    const p = addressProblem(address, allowLoopback);
    if (expected === null) expect(p).toBeNull();
    else expect(p).toMatch(expected);
  });

  test("names are resolved and every address is checked", async () => {
    await expect(resolveTargetAddress("localhost", false)).rejects.toThrow(/loopback/);
    expect(["127.0.0.1", "::1"]).toContain(await resolveTargetAddress("localhost", true));
    await expect(resolveTargetAddress("no-such-host.invalid", true)).rejects.toThrow(/cannot resolve no-such-host.invalid/);
  });

  test("the connection-time lookup applies the same rule", async () => {
    const lookup = guardedLookup(false);
    const err = await new Promise((res) => lookup("localhost", { all: true }, (e) => res(e)));
    expect(String(err)).toMatch(/refused to connect to localhost: .*loopback/);
    const ok = await new Promise((res) => guardedLookup(true)("localhost", { all: true }, (e, a) => res(e ?? a)));
    expect(Array.isArray(ok)).toBe(true);
  });

  test("an ssh target on the metadata address is refused before any connection (and before its key is read)", async () => {
    const read: string[] = [];
    const { ops, targets } = testOps({ config: testConfig({ allowLoopbackTargets: false }), secrets: ({ name }) => (read.push(name), "unused") });
    await putTarget(targets, "acme", { id: "meta", name: "m", backend: "ssh", address: "169.254.169.254", role: "staging", credential_ref: "K", options: { username: "u", host_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"] } });
    const r = await ops.run({ tenant: "acme", subject: "a", roles: [] }, "ops.service_status", { target_id: "meta", service_name: "nginx" });
    expect(r.outcome!.error).toMatch(/refused to connect to 169.254.169.254: .*linkLocal/);
    expect(read).toEqual([]);
  });
});
