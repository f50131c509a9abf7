import type { Prompt, Resource, ResourceTemplate, ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import type { z } from "zod";
import type { OfferingKind, Offerings, UpstreamEvent } from "./connection";
import type { CallOptions } from "./registry";

/** One upstream as the catalog sees it (built by the registry for one caller's tenant). */
export interface UpstreamHandle {
  /** `<source>/<owner tenant or *>/<name>`: what a claim on a bare name is held by. */
  key: string;
  name: string;
  /** false: mounted without a prefix (`prefix: false`), its names exposed as they are. */
  prefixed: boolean;
  timeoutMs: number;
  capabilities(): Promise<ServerCapabilities>;
  list<K extends OfferingKind>(kind: K): Promise<Offerings[K]>;
  /** Relays one request; failures are UpstreamErrors naming the upstream and `what`. */
  request<T>(method: string, params: Record<string, unknown>, schema: z.ZodType<T>, opts: CallOptions & { what: string }): Promise<T>;
}

export interface CatalogSource {
  handles(tenant: string | undefined): Promise<UpstreamHandle[]>;
  /** What a dotted bare name would shadow (another upstream's namespace, a built-in one); undefined: nothing. */
  namespaceClaim(name: string): string | undefined;
}

/** An item as agents see it: the upstream's definition under its exposed name or URI. */
export type Exposed<K extends OfferingKind> = Offerings[K][number];

export interface CatalogListing<K extends OfferingKind> {
  items: { exposed: Exposed<K>; upstream: string }[];
  errors: { upstream: string; message: string }[];
}

/** Where a request for an exposed name or URI goes. */
export interface Route {
  handle: UpstreamHandle;
  /** The name or URI as the upstream knows it. */
  original: string;
}

const LABEL: Record<OfferingKind, { noun: string; event: UpstreamEvent["type"] }> = {
  resources: { noun: "resource", event: "resource_hidden" },
  resourceTemplates: { noun: "resource template", event: "resource_template_hidden" },
  prompts: { noun: "prompt", event: "prompt_hidden" },
};

/** The identifying string of an item: a resource's URI, a template's URI template, a prompt's name. */
export function idOf(kind: OfferingKind, item: Resource | ResourceTemplate | Prompt): string {
  if (kind === "resources") return (item as Resource).uri;
  if (kind === "resourceTemplates") return (item as ResourceTemplate).uriTemplate;
  return (item as Prompt).name;
}

function withId<K extends OfferingKind>(kind: K, item: Exposed<K>, id: string): Exposed<K> {
  if (kind === "resources") return { ...(item as Resource), uri: id } as Exposed<K>;
  if (kind === "resourceTemplates") return { ...(item as ResourceTemplate), uriTemplate: id } as Exposed<K>;
  return { ...(item as Prompt), name: id } as Exposed<K>;
}

/** Claims reported (and audited) at most this many times per process; past it, hidden silently. */
const MAX_REPORTED = 10_000;
const MAX_CACHED_TEMPLATES = 1_000;

/**
 * Resources, resource templates and prompts of the upstreams, under the names agents see: a
 * prefixed upstream's as `<upstream>.<name or URI>` (`docs.file:///a.md`, `docs.summarize`), an
 * unprefixed one's as they are. A bare name belongs to the first upstream that offered it, for
 * the life of the process (prefixed upstreams' namespaces and built-in ones are never taken):
 * a later offer of the same name (at load, or brought by a list_changed) is hidden and reported
 * once per tenant, so no late newcomer shadows a governed name.
 */
export class UpstreamCatalog {
  private readonly owners: Record<OfferingKind, Map<string, string>> = { resources: new Map(), resourceTemplates: new Map(), prompts: new Map() };
  private readonly reported = new Set<string>();

  constructor(
    private readonly source: CatalogSource,
    private readonly report: (event: UpstreamEvent) => void,
  ) {}

  /** Every item of `kind` the tenant's upstreams offer, under exposed names; an unreachable upstream is reported, not fatal. */
  async list<K extends OfferingKind>(kind: K, tenant: string | undefined): Promise<CatalogListing<K>> {
    const handles = await this.source.handles(tenant);
    const listed = await Promise.all(
      handles.map(async (handle) => {
        try {
          return { handle, items: (await handle.list(kind)) as Exposed<K>[] };
        } catch (e) {
          return { handle, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    // Prefixed upstreams first: their namespaces are never given up to an unprefixed one.
    listed.sort((a, b) => Number(!a.handle.prefixed) - Number(!b.handle.prefixed));
    const out: CatalogListing<K> = { items: [], errors: [] };
    const taken = new Set<string>();
    for (const entry of listed) {
      const { handle } = entry;
      if (!entry.items) {
        out.errors.push({ upstream: handle.name, message: entry.error! });
        continue;
      }
      if (!handle.prefixed) this.claimAll(kind, handle, entry.items);
      for (const item of entry.items) {
        const id = idOf(kind, item);
        const exposed = handle.prefixed ? `${handle.name}.${id}` : id;
        const refused = handle.prefixed ? null : this.refusal(kind, handle, id, tenant);
        if (refused || taken.has(exposed)) {
          out.errors.push({ upstream: handle.name, message: refused ?? `${LABEL[kind].noun} ${exposed} is offered twice; the second is hidden` });
          continue;
        }
        taken.add(exposed);
        out.items.push({ exposed: withId(kind, item, exposed), upstream: handle.name });
      }
    }
    return out;
  }

  /** The upstream that serves a prompt (or a template, for completions) by its exposed name; null: none. */
  async route(kind: "prompts" | "resourceTemplates", exposed: string, tenant: string | undefined): Promise<Route | null> {
    const handles = await this.source.handles(tenant);
    const prefixed = this.byPrefix(handles, exposed);
    if (prefixed) return prefixed;
    for (const handle of handles) {
      if (handle.prefixed) continue;
      const owned = await this.owned(kind, handle, tenant);
      if (owned?.has(exposed)) return { handle, original: exposed };
    }
    return null;
  }

  /**
   * The upstream that serves a resource URI: a prefixed upstream by its prefix (its server
   * decides whether the URI exists); else the unprefixed upstream that listed the URI, else the
   * first whose (claimed) template matches it. null: no upstream serves it.
   */
  async routeResource(uri: string, tenant: string | undefined): Promise<Route | null> {
    const handles = await this.source.handles(tenant);
    const prefixed = this.byPrefix(handles, uri);
    if (prefixed) return prefixed;
    const bare = handles.filter((h) => !h.prefixed);
    for (const handle of bare) {
      if ((await this.owned("resources", handle, tenant))?.has(uri)) return { handle, original: uri };
    }
    for (const handle of bare) {
      for (const template of (await this.owned("resourceTemplates", handle, tenant)) ?? []) {
        if (this.matches(template, uri)) return { handle, original: uri };
      }
    }
    return null;
  }

  /** What the tenant's upstreams declared, merged (an unreachable upstream adds nothing). */
  async capabilities(tenant: string | undefined): Promise<ServerCapabilities[]> {
    const handles = await this.source.handles(tenant);
    return Promise.all(handles.map((h) => h.capabilities().catch((): ServerCapabilities => ({}))));
  }

  private readonly templates = new Map<string, UriTemplate | null>();

  /** Whether `uri` is an expansion of the RFC 6570 template (an unparsable template matches nothing). */
  private matches(template: string, uri: string): boolean {
    let t = this.templates.get(template);
    if (t === undefined) {
      try {
        t = new UriTemplate(template);
      } catch {
        t = null;
      }
      if (this.templates.size < MAX_CACHED_TEMPLATES) this.templates.set(template, t);
    }
    try {
      return t?.match(uri) != null;
    } catch {
      return false;
    }
  }

  private byPrefix(handles: UpstreamHandle[], exposed: string): Route | null {
    const dot = exposed.indexOf(".");
    if (dot <= 0) return null;
    const handle = handles.find((h) => h.prefixed && h.name === exposed.slice(0, dot));
    return handle && dot < exposed.length - 1 ? { handle, original: exposed.slice(dot + 1) } : null;
  }

  /** The ids of `kind` this unprefixed upstream holds for the tenant (listing it); null when it cannot be listed now. */
  private async owned(kind: OfferingKind, handle: UpstreamHandle, tenant: string | undefined): Promise<Set<string> | null> {
    let items: Exposed<typeof kind>[];
    try {
      items = await handle.list(kind);
    } catch {
      return null; // unreachable now: it cannot serve this request
    }
    this.claimAll(kind, handle, items);
    const out = new Set<string>();
    for (const item of items) {
      const id = idOf(kind, item);
      if (!this.refusal(kind, handle, id, tenant)) out.add(id);
    }
    return out;
  }

  private claimAll(kind: OfferingKind, handle: UpstreamHandle, items: readonly (Resource | ResourceTemplate | Prompt)[]): void {
    const owners = this.owners[kind];
    for (const item of items) {
      const id = idOf(kind, item);
      if (!owners.has(id) && !this.source.namespaceClaim(id)) owners.set(id, handle.key);
    }
  }

  /** Why an unprefixed upstream may not expose `id` as is (null: it may). Reported once per tenant, upstream and name. */
  private refusal(kind: OfferingKind, handle: UpstreamHandle, id: string, tenant: string | undefined): string | null {
    const ns = this.source.namespaceClaim(id);
    const owner = this.owners[kind].get(id);
    const why = ns ? `it lies in the namespace of ${ns}` : owner && owner !== handle.key ? `upstream ${owner.split("/").pop()} offered it first` : null;
    if (!why) return null;
    const { noun, event } = LABEL[kind];
    const detail = `${noun} ${id} of upstream ${handle.name} is hidden: ${why} (an unprefixed upstream never takes over a name)`;
    const key = `${tenant ?? "*"}\0${handle.key}\0${kind}\0${id}`;
    if (!this.reported.has(key) && this.reported.size < MAX_REPORTED) {
      this.reported.add(key);
      this.report({ type: event, upstream: handle.name, detail, name: id, ...(tenant !== undefined ? { tenant } : {}) });
    }
    return detail;
  }
}
