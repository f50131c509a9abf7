import type { NextAuthOptions } from "next-auth";
import type { RelayServices } from "@/lib/mcp/relay/request-relay";
import type { AccessEvents } from "@/lib/access/events";
import type { ApprovalEvents, ApprovalService } from "@/lib/approvals";
import type { AuditLog, RedactionConfig, Redactor } from "@/lib/audit";
import type { Authenticator } from "@/lib/auth/authenticate";
import type { TokenGuard } from "@/lib/auth/token-guard";
import type { TokenKeys } from "@/lib/auth/token-keys";
import type { Clock } from "@/lib/clock";
import type { Db } from "@/lib/db";
import type { Gateway } from "@/lib/enforce/gateway";
import type { RequestStateSealer } from "@/lib/mcp/request-state";
import type { ChatApprovals } from "@/lib/mcp/methods/chat-approval";
import type { Admission } from "@/lib/data-plane/admission";
import type { Env } from "@/lib/env";
import type { Logger } from "@/lib/log";
import type { BuiltinToolset } from "@/lib/mcp/builtin";
import type { UpstreamAdminDeps } from "@/lib/mcp/upstreams/admin";
import type { UpstreamRegistry } from "@/lib/mcp/upstreams/registry";
import type { Metrics } from "@/lib/metrics";
import type { ActivePolicies } from "@/lib/policy-store/active";
import type { CompiledDraftCache } from "@/lib/policy-store/compiled-cache";
import type { QuotaService } from "@/lib/quota";
import type { KvStore } from "@/lib/redis";
import type { Secrets } from "@/lib/secrets";
import type { SlackApp } from "@/lib/slack";
import type { Ops, OpsDeps } from "@/lib/ops/service";
import type { OpsAdminDeps } from "@/lib/ops/admin";
import type { Emergency } from "@/lib/ops/emergency";

/**
 * Every long-lived object of one process, built by createServices() from the validated env.
 * Members are built on first use (a CLI command that only reads the audit log opens no Redis
 * subscription and spawns no upstream), then kept for the life of the Services object.
 */
export interface Services {
  readonly env: Env;
  readonly clock: Clock;
  readonly log: Logger;
  readonly secrets: Secrets;
  readonly tokenKeys: TokenKeys;
  /** The application database, migrated on first open. */
  db(): Promise<Db>;
  readonly kv: KvStore;
  readonly redaction: RedactionConfig;
  readonly redactor: Redactor;
  readonly audit: AuditLog;
  /** The approval service (its expiry sweeper starts with start()). */
  approvals(): Promise<ApprovalService>;
  /** The Slack app (Bolt: interactivity, Events API, App Home), or null without SLACK_SIGNING_SECRET. */
  slack(): Promise<SlackApp | null>;
  /** Approval events; the root records each in the audit log (and APPROVALS_PATH). */
  readonly approvalEvents: ApprovalEvents;
  /** Membership and role changes (lib/access); the root records each in the audit log. */
  readonly accessEvents: AccessEvents;
  readonly quotas: QuotaService;
  readonly upstreams: UpstreamRegistry;
  readonly upstreamAdmin: UpstreamAdminDeps;
  readonly policies: ActivePolicies;
  /** Drafts compiled by hash, shared by validate, simulate and batch simulate (a validation warms the simulation of the same bytes). */
  readonly compiledDrafts: CompiledDraftCache;
  readonly metrics: Metrics;
  readonly tokenGuard: TokenGuard;
  readonly authOptions: NextAuthOptions;
  readonly auth: Authenticator;
  readonly builtins: BuiltinToolset;
  /** Seed 002's operations: catalog, targets inventory, backends (run through the gateway pipeline). */
  readonly ops: Ops;
  /** Break-glass activations for the ops tools (bounded, audited, expiring by the clock). */
  readonly emergency: Emergency;
  /** What the targets API needs (the ops service, the database for last actions, the audit log). */
  readonly opsAdmin: OpsAdminDeps;
  readonly gateway: Gateway;
  /** Seals the requestState /mcp hands 2026-07-28 callers (HMAC_SECRET-derived key: any replica opens it). */
  readonly mcpRequestState: RequestStateSealer;
  /** The MCP relay to callers: server→client requests routed across replicas, session ids, approval pages. */
  readonly mcpRelay: RelayServices;
  /** 2026-07-28 clients asked for approvals in their chat (URL elicitation); absent without a console URL (NEXTAUTH_URL). */
  readonly mcpChatApprovals: ChatApprovals | undefined;
  /** The in-flight bound for /mcp (DATA_PLANE_MAX_IN_FLIGHT), shared by the Next route and the node:http entry. */
  readonly admission: Admission;
  /** Background work of a server process: approval expiry sweeper, usage flusher. Idempotent. */
  start(): Promise<void>;
  /** Stops background work and closes what was opened (CLI commands and tests, before they end). */
  close(): Promise<void>;
}

/** What a test or the CLI may supply instead of what the env would build. */
export interface ServiceOverrides {
  clock: Clock;
  log: Logger;
  secrets: Secrets;
  db: Db | (() => Promise<Db>);
  kv: KvStore;
  audit: AuditLog;
  upstreams: UpstreamRegistry;
  approvals: () => Promise<ApprovalService>;
  quotas: QuotaService;
  auth: Authenticator;
  /** Parts of the ops domain a test replaces (fake backends, settings, secrets). */
  ops: Partial<Pick<OpsDeps, "backends" | "config" | "secrets" | "emergency">>;
}
