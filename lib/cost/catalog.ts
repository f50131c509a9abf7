import { z } from "zod";
import data from "./catalog.json";

/** The price catalog (catalog.json), validated when first imported: a bad edit fails loudly, not as $0. */
const Price = z.number().finite().min(0);

export const CatalogItemSchema = z.strictObject({
  provider: z.enum(["aws", "gcp", "azure"]),
  action: z.string().min(1),
  aliases: z.array(z.string().min(1)).optional(),
  unit: z.string().min(1),
  unit_price_usd: Price,
  default_variant: z.string().min(1).optional(),
  /** Unit price by size (instance type, machine type, VM size); unlisted sizes use unit_price_usd. */
  variants: z.record(z.string(), Price).optional(),
});

export const CatalogSchema = z.strictObject({
  version: z.string().min(1),
  currency: z.literal("USD"),
  note: z.string(),
  items: z.array(CatalogItemSchema).min(1),
});

export type CatalogItem = z.infer<typeof CatalogItemSchema>;
export type Catalog = z.infer<typeof CatalogSchema>;
export type Provider = CatalogItem["provider"];

export const PROVIDERS = CatalogItemSchema.shape.provider.options;

/** Catalog lookups are case-insensitive: agents spell `virtualMachines.create` every way. */
export const normalizeAction = (action: string) => action.trim().toLowerCase();

export interface CatalogIndex {
  catalog: Catalog;
  find(provider: string, action: string): CatalogItem | undefined;
  actionsOf(provider: string): CatalogItem[];
}

export function indexCatalog(raw: unknown): CatalogIndex {
  const parsed = CatalogSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`cost catalog: ${first.path.join(".")}: ${first.message}`);
  }
  const catalog = parsed.data;
  const byKey = new Map<string, CatalogItem>();
  for (const item of catalog.items) {
    for (const name of [item.action, ...(item.aliases ?? [])]) {
      const key = `${item.provider}:${normalizeAction(name)}`;
      if (byKey.has(key)) throw new Error(`cost catalog: ${item.provider} ${name} is listed twice`);
      byKey.set(key, item);
    }
  }
  return {
    catalog,
    find: (provider, action) => byKey.get(`${provider.trim().toLowerCase()}:${normalizeAction(action)}`),
    actionsOf: (provider) => catalog.items.filter((i) => i.provider === provider.trim().toLowerCase()),
  };
}

export const defaultCatalog: CatalogIndex = indexCatalog(data);
