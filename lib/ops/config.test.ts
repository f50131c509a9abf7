import { describe, expect, test } from "vitest";
import { EnvError, parseEnv } from "@/lib/env";
import { DEFAULT_OPS_CONFIG, opsConfig } from "./config";

describe("ops settings from the environment", () => {
  test("defaults: nothing on the gateway host, no global dry run", () => {
    expect(opsConfig(parseEnv({}))).toEqual(DEFAULT_OPS_CONFIG);
  });

  test("every variable parsed", () => {
    const c = opsConfig(
      parseEnv({
        OPS_DRY_RUN: "true",
        OPS_OUTPUT_MAX_BYTES: "4096",
        OPS_INVENTORY_TTL_MS: "0",
        OPS_CONNECT_TIMEOUT_MS: "3000",
        OPS_GATEWAY_HOST_TENANTS: "ops-team, platform",
        OPS_LOCAL_ROOTS: "/srv/ops,/var/lib/stacks",
        OPS_LOCAL_BINARIES: "systemctl=/usr/bin/systemctl, docker=/usr/bin/docker",
        OPS_DOCKER_SOCKETS: "/var/run/docker.sock",
        OPS_ALLOW_LOOPBACK_TARGETS: "yes",
        OPS_MAX_TARGETS_PER_TENANT: "10",
        OPS_EMERGENCY_ROLE: "break-glass",
        OPS_EMERGENCY_MAX_MINUTES: "15",
      }),
    );
    expect(c).toEqual({
      dryRun: true,
      outputMaxBytes: 4096,
      inventory: { ttlMs: 0, maxEntries: 1000, maxItems: 2000 },
      connectTimeoutMs: 3000,
      gatewayHostTenants: ["ops-team", "platform"],
      local: { roots: ["/srv/ops", "/var/lib/stacks"], binaries: { systemctl: "/usr/bin/systemctl", docker: "/usr/bin/docker" } },
      docker: { sockets: ["/var/run/docker.sock"] },
      allowLoopbackTargets: true,
      maxTargetsPerTenant: 10,
      emergencyRole: "break-glass",
      emergencyMaxMinutes: 15,
    });
  });

  test.each([
    ["a program named unlike its tool", { OPS_LOCAL_BINARIES: "systemctl=/bin/sh" }, /systemctl must be a file named systemctl/],
    ["an unknown tool", { OPS_LOCAL_BINARIES: "bash=/bin/bash" }, /unknown tool bash/],
    ["a relative root", { OPS_LOCAL_ROOTS: "srv/ops" }, /absolute path/],
    ["a traversing root", { OPS_LOCAL_ROOTS: "/srv/../etc" }, /\. or \.\. segments/],
    ["an output bound too small", { OPS_OUTPUT_MAX_BYTES: "10" }, /OPS_OUTPUT_MAX_BYTES/],
  ])("refused: %s", (_l, vars, message) => {
    expect(() => parseEnv(vars)).toThrow(EnvError);
    expect(() => parseEnv(vars)).toThrow(message);
  });
});
