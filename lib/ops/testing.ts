/**
 * Test helpers for the ops domain: an in-memory targets store with the same contract as the
 * Prisma one, a recording fake backend (counts every call, so a test can prove that nothing
 * reached a backend), a quiet logger and a createOps with sensible test defaults.
 */
import type { OpsTargetRow, OpsTargetWrite } from "@/lib/db/ops-targets";
import { Redactor } from "@/lib/audit/redact";
import type { Backend } from "./backends/types";
import { DEFAULT_OPS_CONFIG, type OpsConfig } from "./config";
import type { OpsPolicy } from "./policy";
import type { OpsSecretResolver } from "./secrets";
import { createOps, type OpsDeps } from "./service";
import type { OpsTargetStore } from "./store";
import { TargetInputSchema, targetWrite } from "./targets";
import type { BackendName, ExecutionResult } from "./types";

export function memoryTargetStore(clock: () => Date = () => new Date()): OpsTargetStore & { rows: Map<string, OpsTargetRow> } {
  const rows = new Map<string, OpsTargetRow>();
  const key = (t: string, id: string) => `${t}\u0000${id}`;
  let tick = 0;
  // Every write gets a distinct updatedAt, as the database's clock would give it.
  const stamp = () => new Date(clock().getTime() + ++tick);
  return {
    rows,
    async get(t, id) {
      return rows.get(key(t, id)) ?? null;
    },
    async list(t, { limit, after }) {
      return [...rows.values()].filter((r) => r.tenantId === t && (after === undefined || r.id > after)).sort((a, b) => a.id.localeCompare(b.id)).slice(0, limit);
    },
    async count(t) {
      return [...rows.values()].filter((r) => r.tenantId === t).length;
    },
    async create(t, id, w: OpsTargetWrite, by) {
      if (rows.has(key(t, id))) return null;
      const at = stamp();
      const row: OpsTargetRow = { tenantId: t, id, ...w, createdBy: by, updatedBy: by, createdAt: at, updatedAt: at };
      rows.set(key(t, id), row);
      return row;
    },
    async update(t, id, w, by, ifUpdatedAt) {
      const old = rows.get(key(t, id));
      if (!old || (ifUpdatedAt && old.updatedAt.getTime() !== ifUpdatedAt.getTime())) return null;
      const row = { ...old, ...w, updatedBy: by, updatedAt: stamp() };
      rows.set(key(t, id), row);
      return row;
    },
    async remove(t, id) {
      return rows.delete(key(t, id));
    },
  };
}

/** Stores a target from API-shaped input, bypassing the gateway-host rules (tests set them separately). */
export async function putTarget(store: OpsTargetStore, tenant: string, input: unknown, by = "admin"): Promise<OpsTargetRow> {
  const { id, write } = targetWrite(TargetInputSchema.parse(input));
  const row = (await store.create(tenant, id, write, by)) ?? (await store.update(tenant, id, write, by));
  return row!;
}

export interface FakeBackend extends Backend {
  calls: { method: "validate" | "plan" | "execute" | "test" | "inventory"; operation?: string }[];
  /** Calls other than validate (the pure, I/O-free check). */
  ioCalls(): number;
  inventoryItems: string[];
}

/** A backend that records calls and succeeds; `validate` reports nothing. */
export function fakeBackend(name: BackendName, opts: { inventory?: string[]; result?: Partial<ExecutionResult> } = {}): FakeBackend {
  const calls: FakeBackend["calls"] = [];
  const fb: FakeBackend = {
    name,
    calls,
    inventoryItems: opts.inventory ?? [],
    ioCalls: () => calls.filter((c) => c.method !== "validate").length,
    validate(_t, op) {
      calls.push({ method: "validate", operation: op.name });
      return [];
    },
    async plan(_ctx, t, op, p, timeoutMs) {
      calls.push({ method: "plan", operation: op.name });
      return {
        action: {
          backend: name,
          operation: op.name,
          target: { id: t.id, address: t.address, port: t.port },
          mutates: op.mutates,
          timeout_ms: timeoutMs,
          steps: [{ kind: "exec", argv: ["fake", op.name, JSON.stringify(p)] }],
          summary: `fake ${op.name}`,
        },
      };
    },
    async execute(_ctx, _t, plan) {
      calls.push({ method: "execute", operation: plan.action.operation });
      return { status: "succeeded", exit_code: 0, duration_ms: 1, steps: [{ step: 0, exit_code: 0, stdout: "done", stderr: "", truncated: false, duration_ms: 1 }], action: plan.action, ...opts.result };
    },
    async test(_ctx, t) {
      calls.push({ method: "test" });
      return { ok: true, backend: name, target: t.id, latency_ms: 1, details: {} };
    },
    async inventory() {
      calls.push({ method: "inventory" });
      return fb.inventoryItems;
    },
  };
  return fb;
}

export const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const allowAll: OpsPolicy = { decide: async () => ({ decision: "allow", reason: "test: allow all", rule: null }) };

export function testConfig(over: Partial<OpsConfig> = {}): OpsConfig {
  return { ...DEFAULT_OPS_CONFIG, allowLoopbackTargets: true, connectTimeoutMs: 5000, ...over };
}

export const TEST_SECRET_KEY = "test-server-secret-for-ops-redaction";

export function testOps(over: Partial<OpsDeps> & { secretsMap?: Record<string, string> } = {}) {
  const clock = over.clock ?? (() => new Date("2026-12-01T10:00:00Z"));
  const targets = over.targets ?? memoryTargetStore(clock);
  const map = over.secretsMap ?? {};
  const secrets: OpsSecretResolver = over.secrets ?? (({ tenant, name }) => map[`${tenant}/${name}`]);
  const deps: OpsDeps = {
    targets,
    clock,
    secrets,
    redactor: over.redactor ?? new Redactor(TEST_SECRET_KEY),
    logger: over.logger ?? quietLogger,
    config: over.config ?? testConfig(),
    policy: over.policy ?? allowAll,
    ...(over.emergency ? { emergency: over.emergency } : {}),
    ...(over.backends ? { backends: over.backends } : {}),
  };
  return { ops: createOps(deps), deps, targets };
}
