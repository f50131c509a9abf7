/**
 * Settings of the ops domain. `OpsEnvShape` is the zod shape of its environment variables, to be
 * spread into lib/env.ts's schema (the one reader of process.env); `opsConfig()` turns the parsed
 * values into the OpsConfig that createOps takes. Tests build an OpsConfig directly.
 */
import { z } from "zod";
import { pathProblem } from "./catalog/params";
import { HOST_TOOLS, type HostTool } from "./types";

export interface OpsConfig {
  /** Global dry run (seed 002 SYSTEMMANAGER_ENABLE_DRY_RUN): every call is planned, nothing runs. */
  dryRun: boolean;
  /** Bytes kept of each stdout/stderr/answer; the rest is counted and dropped. */
  outputMaxBytes: number;
  /** Live-inventory lists (dynamic allowlists): how long one is reused, how many are cached, how many names one keeps. */
  inventory: { ttlMs: number; maxEntries: number; maxItems: number };
  /** TCP/SSH/TLS connection and handshake timeout. */
  connectTimeoutMs: number;
  /** Tenants allowed targets that act on the gateway host (local targets, docker sockets). */
  gatewayHostTenants: string[];
  local: {
    /** Folders local targets' file roots must lie in. */
    roots: string[];
    /** The only programs the local backend runs, by tool name (absolute paths). */
    binaries: Partial<Record<HostTool, string>>;
  };
  docker: { sockets: string[] };
  /** Remote targets may be on loopback (tests, single-host labs); link-local and unspecified addresses never. */
  allowLoopbackTargets: boolean;
  maxTargetsPerTenant: number;
  /** Caller role that TailOps emergency_policies migrate to; added while a break-glass grant is active. */
  emergencyRole: string;
  /** The longest break-glass activation an admin may ask for. */
  emergencyMaxMinutes: number;
}

export const DEFAULT_OPS_CONFIG: OpsConfig = Object.freeze({
  dryRun: false,
  outputMaxBytes: 65_536,
  inventory: { ttlMs: 10_000, maxEntries: 1000, maxItems: 2000 },
  connectTimeoutMs: 10_000,
  gatewayHostTenants: [],
  local: { roots: [], binaries: {} },
  docker: { sockets: [] },
  allowLoopbackTargets: false,
  maxTargetsPerTenant: 500,
  emergencyRole: "emergency",
  emergencyMaxMinutes: 60,
}) as OpsConfig;

const bool = z.enum(["true", "false", "1", "0", "yes", "no", ""]).transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = (v: string) => v.split(",").map((x) => x.trim()).filter(Boolean);
const absList = z.string().superRefine((v, ctx) => {
  for (const p of list(v)) {
    const problem = pathProblem(p);
    if (problem) ctx.addIssue({ code: "custom", message: `${p} ${problem}` });
  }
});

/** The environment variables of the ops domain (lib/env.ts spreads this into its schema). */
export const OpsEnvShape = {
  // Global dry run: every ops call is validated, decided and planned; no backend action runs.
  OPS_DRY_RUN: bool.default(false),
  // Bytes kept of each command output or API answer (the rest is counted, then dropped).
  OPS_OUTPUT_MAX_BYTES: int(1024, 4_194_304).default(65_536),
  // How long a target's live inventory (dynamic allowlists such as list_containers) is reused.
  OPS_INVENTORY_TTL_MS: int(0, 300_000).default(10_000),
  // Connection and handshake timeout for ssh, docker and proxmox targets.
  OPS_CONNECT_TIMEOUT_MS: int(500, 120_000).default(10_000),
  // Tenants that may define targets acting on the gateway host (local, docker sockets); comma list.
  OPS_GATEWAY_HOST_TENANTS: z.string().default(""),
  // Folders that local targets' file roots must lie in; comma list of absolute paths.
  OPS_LOCAL_ROOTS: absList.default(""),
  // The only programs the local backend runs: tool=/absolute/path pairs (systemctl=/usr/bin/systemctl,…).
  OPS_LOCAL_BINARIES: z.string().default("").superRefine((v, ctx) => {
    try {
      parseBinaries(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  }),
  // Docker sockets on the gateway host that docker targets may use; comma list.
  OPS_DOCKER_SOCKETS: absList.default(""),
  // Let ssh/docker/proxmox targets be on loopback (labs, tests). Link-local (cloud metadata) never.
  OPS_ALLOW_LOOPBACK_TARGETS: bool.default(false),
  OPS_MAX_TARGETS_PER_TENANT: int(1, 100_000).default(500),
  // Caller role under which TailOps emergency_policies apply; granted by break-glass activation.
  OPS_EMERGENCY_ROLE: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).default("emergency"),
  // The longest break-glass activation a tenant or platform admin may ask for (minutes).
  OPS_EMERGENCY_MAX_MINUTES: int(1, 1440).default(60),
};

export type OpsEnv = { [K in keyof typeof OpsEnvShape]: z.output<(typeof OpsEnvShape)[K]> };

export function parseBinaries(v: string): Partial<Record<HostTool, string>> {
  const out: Partial<Record<HostTool, string>> = {};
  for (const pair of list(v)) {
    const m = /^([a-z-]+)=(.+)$/.exec(pair);
    if (!m) throw new Error(`OPS_LOCAL_BINARIES: expected tool=/absolute/path, got ${pair}`);
    const [, tool, p] = m;
    if (!(HOST_TOOLS as readonly string[]).includes(tool)) throw new Error(`OPS_LOCAL_BINARIES: unknown tool ${tool} (known: ${HOST_TOOLS.join(", ")})`);
    const problem = pathProblem(p);
    if (problem) throw new Error(`OPS_LOCAL_BINARIES: ${tool}: ${p} ${problem}`);
    if (p.split("/").pop() !== tool) throw new Error(`OPS_LOCAL_BINARIES: ${tool} must be a file named ${tool} (got ${p})`);
    out[tool as HostTool] = p;
  }
  return out;
}

export function opsConfig(e: OpsEnv): OpsConfig {
  return {
    dryRun: e.OPS_DRY_RUN,
    outputMaxBytes: e.OPS_OUTPUT_MAX_BYTES,
    inventory: { ...DEFAULT_OPS_CONFIG.inventory, ttlMs: e.OPS_INVENTORY_TTL_MS },
    connectTimeoutMs: e.OPS_CONNECT_TIMEOUT_MS,
    gatewayHostTenants: list(e.OPS_GATEWAY_HOST_TENANTS),
    local: { roots: list(e.OPS_LOCAL_ROOTS), binaries: parseBinaries(e.OPS_LOCAL_BINARIES) },
    docker: { sockets: list(e.OPS_DOCKER_SOCKETS) },
    allowLoopbackTargets: e.OPS_ALLOW_LOOPBACK_TARGETS,
    maxTargetsPerTenant: e.OPS_MAX_TARGETS_PER_TENANT,
    emergencyRole: e.OPS_EMERGENCY_ROLE,
    emergencyMaxMinutes: e.OPS_EMERGENCY_MAX_MINUTES,
  };
}
