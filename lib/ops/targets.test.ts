import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { isAppError } from "@/lib/errors";
import { envSecretResolver, secretEnvName } from "./secrets";
import { maintenanceState, TargetInputSchema, targetFromRow, targetWrite } from "./targets";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const ssh = { id: "prod-web-01", name: "Web 1", backend: "ssh", address: "10.0.0.5", role: "production", credential_ref: "PROD_WEB_KEY", options: { username: "deploy", host_keys: [KEY] } };

describe("target input", () => {
  test("an ssh target gets its defaults", () => {
    const t = TargetInputSchema.parse(ssh);
    expect(targetWrite(t)).toEqual({
      id: "prod-web-01",
      write: {
        name: "Web 1", backend: "ssh", address: "10.0.0.5", port: 22, role: "production", tags: [], maintenanceWindows: [], credentialRef: "PROD_WEB_KEY",
        options: { username: "deploy", host_keys: [KEY], file_roots: [], package_manager: "apt", binaries: {}, remote_timeout: true },
      },
    });
  });

  test("maintenance windows are normalized (day names to numbers, UTC default)", () => {
    const t = TargetInputSchema.parse({ ...ssh, maintenance_windows: [{ days: ["sat", 7, "saturday"], start: "02:00", end: "06:00" }] });
    expect(t.maintenance_windows).toEqual([{ days: [6, 7], start: "02:00", end: "06:00", timezone: "UTC" }]);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ["unknown backend", { ...ssh, backend: "telnet" }, /backend must be one of/],
    ["unknown role", { ...ssh, role: "prod" }, /role must be one of/],
    ["caller-invented key", { ...ssh, trusted: true }, /Unrecognized key|unrecognized/i],
    ["secret value instead of a name", { ...ssh, credential_ref: "-----BEGIN OPENSSH PRIVATE KEY-----" }, /must name a secret/],
    ["lowercase secret name", { ...ssh, credential_ref: "prod_key" }, /must name a secret/],
    ["double underscore in a secret name", { ...ssh, credential_ref: "A__B" }, /must name a secret/],
    ["ssh without address", { ...ssh, address: undefined }, /needs an address/],
    ["ssh without credential", { ...ssh, credential_ref: undefined }, /needs credential_ref/],
    ["ssh username injection", { ...ssh, options: { username: "root; id" } }, /login name/],
    ["malformed host key", { ...ssh, options: { username: "u", host_keys: ["ssh-ed25519 not base64!"] } }, /OpenSSH public key/],
    ["program path not named like the tool", { ...ssh, options: { username: "u", binaries: { systemctl: "/bin/sh" } } }, /file named systemctl/],
    ["program path with traversal", { ...ssh, options: { username: "u", binaries: { systemctl: "/usr/../bin/systemctl" } } }, /\. or \.\. segments/],
    ["file root relative", { ...ssh, options: { username: "u", file_roots: ["srv"] } }, /absolute path/],
    ["local with an address", { id: "gw", name: "gw", backend: "local", role: "gateway", address: "10.0.0.1" }, /no address or port/],
    ["docker socket and address", { id: "d", name: "d", backend: "docker", role: "staging", address: "10.0.0.1", options: { socket_path: "/run/docker.sock" } }, /not both/],
    ["docker tcp without tls", { id: "d", name: "d", backend: "docker", role: "staging", address: "10.0.0.1" }, /needs options.tls/],
    ["docker client cert without key", { id: "d", name: "d", backend: "docker", role: "staging", address: "10.0.0.1", options: { tls: { ca_ref: "CA", cert_ref: "CERT" } } }, /go together/],
    ["proxmox without token", { id: "p", name: "p", backend: "proxmox", role: "staging", address: "pve.lan", options: { node: "pve1" } }, /API token/],
    ["bad window day", { ...ssh, maintenance_windows: [{ days: [8], start: "01:00", end: "02:00" }] }, /days are 1–7/],
    ["bad window time", { ...ssh, maintenance_windows: [{ days: [1], start: "25:00", end: "02:00" }] }, /HH:MM/],
    ["bad time zone", { ...ssh, maintenance_windows: [{ days: [1], start: "01:00", end: "02:00", timezone: "Mars/Olympus" }] }, /IANA/],
    ["id with capitals", { ...ssh, id: "Prod" }, /target_id must be/],
    ["too many tags", { ...ssh, tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, /at most 32/],
  ])("refused: %s", (_l, input, message) => {
    const r = TargetInputSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(message);
  });
});

describe("stored rows are validated on every read", () => {
  const row = { tenantId: "acme", id: "prod-web-01", name: "w", backend: "ssh", address: "10.0.0.5", port: 22, role: "production", tags: [], maintenanceWindows: [], credentialRef: "K", options: { username: "deploy" }, createdBy: null, updatedBy: null, createdAt: new Date(0), updatedAt: new Date(0) };

  test("a good row becomes a target", () => {
    expect(targetFromRow(row)).toMatchObject({ id: "prod-web-01", role: "production", options: { username: "deploy", host_keys: [], remote_timeout: true } });
  });

  test.each([
    ["a role edited by hand", { role: "root" }],
    ["options widened by hand", { options: { username: "deploy", binaries: { systemctl: "/bin/sh" } } }],
    ["a secret stored in clear", { credentialRef: "hunter2" }],
  ])("%s is refused (fail closed)", (_l, patch) => {
    const err = (() => {
      try {
        targetFromRow({ ...row, ...patch });
      } catch (e) {
        return e;
      }
    })();
    expect(isAppError(err)).toBe(true);
    expect((err as Error).message).toMatch(/target prod-web-01 is misconfigured/);
  });
});

describe("maintenance windows", () => {
  const t = { maintenanceWindows: [{ days: [6], start: "02:00", end: "06:00", timezone: "Europe/Paris" }, { days: [2], start: "22:00", end: "01:00", timezone: "UTC" }] };
  test.each([
    ["Saturday 03:00 Paris (02:00 UTC)", "2026-12-05T02:00:00Z", "inside"],
    ["Saturday 01:30 Paris", "2026-12-05T00:30:00Z", "outside"],
    ["Tuesday 23:30 UTC (wraps midnight)", "2026-12-01T23:30:00Z", "inside"],
    ["Tuesday 00:30 UTC (the night before the window)", "2026-12-01T00:30:00Z", "inside"],
    ["Wednesday 12:00", "2026-12-02T12:00:00Z", "outside"],
  ])("%s", (_l, at, state) => {
    expect(maintenanceState(t, new Date(at))).toBe(state);
  });
  test("no windows: none", () => expect(maintenanceState({ maintenanceWindows: [] }, new Date())).toBe("none"));
});

describe("secrets are per tenant", () => {
  test("the environment name of a tenant's secret", () => {
    expect(secretEnvName("demo-tenant", "PROD_WEB_KEY")).toBe("OPS_SECRET__DEMO_TENANT__PROD_WEB_KEY");
    expect(envSecretResolver((n) => (n === "OPS_SECRET__ACME__K" ? "v" : undefined))({ tenant: "acme", name: "K" })).toBe("v");
    expect(envSecretResolver(() => "v")({ tenant: "other", name: "K" })).toBe("v");
  });

  test("no two (tenant, name) pairs share an environment variable", () => {
    const tenant = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    const name = fc.stringMatching(/^[A-Z][A-Z0-9]{0,3}(?:_[A-Z0-9]{1,3}){0,3}$/);
    fc.assert(
      fc.property(tenant, name, tenant, name, (t1, n1, t2, n2) => {
        if (t1 === t2 && n1 === n2) return;
        expect(secretEnvName(t1, n1)).not.toBe(secretEnvName(t2, n2));
      }),
      { numRuns: 2000 },
    );
    expect(secretEnvName("a-b", "C")).not.toBe(secretEnvName("a", "B_C"));
  });
});
