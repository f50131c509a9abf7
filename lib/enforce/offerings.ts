import {
  type CompleteRequest,
  CompleteResultSchema,
  type CompleteResult,
  EmptyResultSchema,
  GetPromptResultSchema,
  type GetPromptResult,
  type Prompt,
  ReadResourceResultSchema,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { CLIENT_CAPABILITIES_META_KEY } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Redactor } from "@/lib/audit";
import type { Route, UpstreamCatalog } from "@/lib/mcp/upstreams/catalog";
import type { OfferingKind } from "@/lib/mcp/upstreams/connection";
import type { Metrics } from "@/lib/metrics";
import type { CompiledPolicy, RuleKind } from "@/lib/policy";
import type { EnforceDeps } from "./deps";
import { mayBeAllowed, templateMayBeAllowed } from "./list-tools";
import { enforceCall, recordOutcome } from "./pipeline";
import { shownVerdict } from "./shown-verdict";
import type { GatewayCall, Principal, ToolCallRound, Verdict } from "./types";

/** An answer that ran (result) or the verdict that stopped it. */
export interface Governed<T> {
  verdict: Verdict;
  result?: T;
}

/**
 * An upstream's MCP 2026-07-28 multi round-trip answer (SEP-2322) to prompts/get or resources/read:
 * it needs the caller's input first. The gateway relays it (lib/mcp seals its requestState).
 */
export interface InputRequiredResult {
  resultType: "input_required";
  inputRequests?: Record<string, unknown>;
  requestState?: string;
  _meta?: Record<string, unknown>;
}
const InputRequiredResultSchema = z.looseObject({ resultType: z.literal("input_required"), inputRequests: z.record(z.string(), z.unknown()).optional(), requestState: z.string().optional() });
/** A complete result, or the upstream asking for input (tried first: it is the narrower shape). */
const orInputRequired = <T>(complete: z.ZodType<T>) => z.union([InputRequiredResultSchema, complete]) as unknown as z.ZodType<T | InputRequiredResult>;
export const isInputRequired = (r: unknown): r is InputRequiredResult => (r as { resultType?: unknown } | null)?.resultType === "input_required";

/**
 * A round's fields on the upstream's request (as a tools/call round carries them): the caller's
 * answers, the upstream's own requestState, the caller's capabilities in `_meta`.
 */
function roundFields(round: ToolCallRound | undefined): Record<string, unknown> {
  if (!round) return {};
  return {
    ...(round.inputResponses ? { inputResponses: round.inputResponses } : {}),
    ...(round.requestState !== undefined ? { requestState: round.requestState } : {}),
    ...(round.clientCapabilities ? { _meta: { [CLIENT_CAPABILITIES_META_KEY]: round.clientCapabilities } } : {}),
  };
}

/** No upstream of the caller's tenant serves that resource URI or prompt name (MCP: not found). */
export class OfferingNotFoundError extends Error {
  readonly code = OFFERING_NOT_FOUND;
  constructor(
    readonly kind: "resource" | "prompt" | "resource template",
    readonly id: string,
  ) {
    super(`${kind} not found: ${id}`);
  }
}
export const OFFERING_NOT_FOUND = "offering_not_found";

/** Resources, resource templates, prompts and completions of the upstreams, under policy. */
export interface OfferingsGateway {
  /** What the caller's upstreams declared, merged: only capabilities some upstream offers. */
  capabilities(principal: Principal): Promise<ServerCapabilities>;
  listResources(principal: Principal): Promise<Resource[]>;
  listResourceTemplates(principal: Principal): Promise<ResourceTemplate[]>;
  listPrompts(principal: Principal): Promise<Prompt[]>;
  /** `round`: a 2026-07-28 caller's round (its answers and the upstream's unsealed state). */
  readResource(principal: Principal, uri: string, signal?: AbortSignal, round?: ToolCallRound): Promise<Governed<ReadResourceResult | InputRequiredResult>>;
  subscribe(principal: Principal, uri: string, subscribe: boolean, signal?: AbortSignal): Promise<Governed<Record<string, never>>>;
  getPrompt(principal: Principal, name: string, args: Record<string, string>, signal?: AbortSignal, round?: ToolCallRound): Promise<Governed<GetPromptResult | InputRequiredResult>>;
  complete(principal: Principal, params: CompleteRequest["params"], signal?: AbortSignal): Promise<Governed<CompleteResult>>;
}

export interface OfferingsDeps {
  pipeline: EnforceDeps;
  redactor: Redactor;
  catalog: () => UpstreamCatalog;
  metrics: Pick<Metrics, "decisions" | "decisionLatency">;
}

/** The URIs an upstream answered with, as the caller knows them (a prefixed upstream's carry its prefix). */
function exposeContents(route: Route, result: ReadResourceResult): ReadResourceResult {
  if (!route.handle.prefixed) return result;
  return { ...result, contents: result.contents.map((c) => ({ ...c, uri: `${route.handle.name}.${c.uri}` })) };
}

export function createOfferings(deps: OfferingsDeps): OfferingsGateway {
  const d = deps.pipeline;

  async function policyOf(principal: Principal): Promise<CompiledPolicy | null> {
    return (await d.activePolicy(principal.tenant).catch(() => null))?.compiled ?? null;
  }

  async function listed<K extends OfferingKind>(principal: Principal, kind: K) {
    const [compiled, listing] = await Promise.all([policyOf(principal), deps.catalog().list(kind, principal.tenant)]);
    for (const e of listing.errors) d.log.warn({ upstream: e.upstream }, `upstream not listed: ${e.message}`);
    // No policy: nothing may be used, so nothing is listed (fail closed).
    return { compiled, items: compiled ? listing.items.map((i) => i.exposed) : [] };
  }

  /**
   * One request under the pipeline (bounds, policy, limits, audit, in that order, as a tool call):
   * decided and recorded first, forwarded only when allowed, its outcome recorded after.
   */
  async function governed<T>(principal: Principal, call: GatewayCall & { kind: RuleKind }, run: () => Promise<T>): Promise<Governed<T>> {
    const started = performance.now();
    const { verdict } = await enforceCall(d, principal, call, { forward: false, syncWaitMs: 0, source: "mcp" });
    deps.metrics.decisions.inc({ tenant: principal.tenant, decision: verdict.decision });
    deps.metrics.decisionLatency.observe({ decision: verdict.decision }, (performance.now() - started) / 1000);
    const shown = shownVerdict(principal, call, verdict, deps.redactor);
    if (verdict.decision !== "allow") return { verdict: shown };
    const ran = performance.now();
    let outcome = "ok";
    try {
      return { verdict: shown, result: await run() };
    } catch (err) {
      outcome = String((err as { code?: unknown }).code ?? (err as Error).name ?? "error");
      throw err;
    } finally {
      recordOutcome(d, principal, call, verdict, { policyVersion: verdict.policy_version, started: ran, outcome, data: { method: call.meta?.method ?? null } });
    }
  }

  async function resourceRoute(principal: Principal, uri: string): Promise<Route> {
    const route = await deps.catalog().routeResource(uri, principal.tenant);
    if (!route) throw new OfferingNotFoundError("resource", uri);
    return route;
  }

  return {
    async capabilities(principal) {
      const all = await deps.catalog().capabilities(principal.tenant);
      const out: ServerCapabilities = {};
      if (all.some((c) => c.resources)) out.resources = { ...(all.some((c) => c.resources?.subscribe) ? { subscribe: true } : {}), listChanged: false };
      if (all.some((c) => c.prompts)) out.prompts = { listChanged: false };
      if (all.some((c) => c.completions)) out.completions = {};
      if (all.some((c) => c.logging)) out.logging = {};
      return out;
    },
    async listResources(principal) {
      const { compiled, items } = await listed(principal, "resources");
      return compiled ? items.filter((r) => mayBeAllowed(compiled, r.uri, "resource")) : [];
    },
    async listResourceTemplates(principal) {
      const { compiled, items } = await listed(principal, "resourceTemplates");
      return compiled ? items.filter((t) => templateMayBeAllowed(compiled, t.uriTemplate)) : [];
    },
    async listPrompts(principal) {
      const { compiled, items } = await listed(principal, "prompts");
      return compiled ? items.filter((p) => mayBeAllowed(compiled, p.name, "prompt")) : [];
    },
    async readResource(principal, uri, signal, round) {
      const route = await resourceRoute(principal, uri);
      const call = { kind: "resource" as const, tool: uri, arguments: { uri }, meta: { method: "resources/read" } };
      return governed(principal, call, async () => {
        const read = await route.handle.request("resources/read", { uri: route.original, ...roundFields(round) }, orInputRequired(ReadResourceResultSchema), { tenant: principal.tenant, signal, what: uri });
        return isInputRequired(read) ? read : exposeContents(route, read);
      });
    },
    async subscribe(principal, uri, on, signal) {
      const route = await resourceRoute(principal, uri);
      const method = on ? "resources/subscribe" : "resources/unsubscribe";
      const call = { kind: "resource" as const, tool: uri, arguments: { uri }, meta: { method } };
      return governed(principal, call, async () => {
        await route.handle.request(method, { uri: route.original }, EmptyResultSchema, { tenant: principal.tenant, signal, what: uri });
        return {};
      });
    },
    async getPrompt(principal, name, args, signal, round) {
      const route = await deps.catalog().route("prompts", name, principal.tenant);
      if (!route) throw new OfferingNotFoundError("prompt", name);
      const call = { kind: "prompt" as const, tool: name, arguments: args, meta: { method: "prompts/get" } };
      return governed(principal, call, () => route.handle.request("prompts/get", { name: route.original, arguments: args, ...roundFields(round) }, orInputRequired(GetPromptResultSchema), { tenant: principal.tenant, signal, what: name }));
    },
    async complete(principal, params, signal) {
      const ref = params.ref;
      const isPrompt = ref.type === "ref/prompt";
      const id = isPrompt ? (ref as { name: string }).name : (ref as { uri: string }).uri;
      const route = await deps.catalog().route(isPrompt ? "prompts" : "resourceTemplates", id, principal.tenant);
      if (!route) throw new OfferingNotFoundError(isPrompt ? "prompt" : "resource template", id);
      // Completing a prompt's argument is decided like getting it with the arguments known so far.
      const args = { ...(params.context?.arguments ?? {}), [params.argument.name]: params.argument.value };
      const call = { kind: isPrompt ? ("prompt" as const) : ("resource" as const), tool: id, arguments: isPrompt ? args : { ...args, uri: id }, meta: { method: "completion/complete" } };
      const forwarded = { ...params, ref: isPrompt ? { ...ref, name: route.original } : { ...ref, uri: route.original } };
      return governed(principal, call, () => route.handle.request("completion/complete", forwarded as Record<string, unknown>, CompleteResultSchema, { tenant: principal.tenant, signal, what: id }));
    },
  };
}
