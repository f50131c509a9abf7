import { z } from "zod";
import type { QuotaRow, QuotaRowInput } from "@/lib/db/quotas";

/** The four limits, per tenant (tool "*") and per tool. null or absent: no limit. */
export interface Limits {
  requests_per_minute: number | null;
  max_concurrent: number | null;
  daily_budget_usd: number | null;
  monthly_budget_usd: number | null;
}

export type LimitName = keyof Limits;
export const LIMIT_NAMES: readonly LimitName[] = ["requests_per_minute", "max_concurrent", "daily_budget_usd", "monthly_budget_usd"];

/** A tenant's whole quota configuration, as PUT and returned by the admin API. */
export interface QuotaConfig extends Limits {
  tenant: string;
  /** Per-tool limits, by exact exposed tool name; they apply on top of the tenant's. */
  tools: Record<string, Limits>;
  updated_by: string | null;
  updated_at: string | null;
}

const count = (max: number) => z.number().int("must be a whole number").min(0).max(max).nullable().optional();
const usd = z.number().finite().min(0).max(1e9).nullable().optional();

export const LimitsSchema = z.strictObject({
  requests_per_minute: count(1_000_000),
  max_concurrent: count(100_000),
  daily_budget_usd: usd,
  monthly_budget_usd: usd,
});

/** Exact exposed names only ("*" is the tenant level, written at the top of the body). */
const TOOL_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const QuotaConfigBodySchema = LimitsSchema.extend({
  tools: z
    .record(z.string(), LimitsSchema)
    .superRefine((tools, ctx) => {
      const names = Object.keys(tools);
      if (names.length > 500) ctx.addIssue({ code: "custom", message: "at most 500 tools" });
      for (const name of names) {
        if (name.length > 200 || !TOOL_NAME.test(name)) {
          ctx.addIssue({ code: "custom", path: [name], message: `expected an exact tool name such as cloud.ops (no globs; the tenant's own limits go at the top level), got ${JSON.stringify(name)}` });
        }
      }
    })
    .default({}),
});
export type QuotaConfigBody = z.infer<typeof QuotaConfigBodySchema>;

const limitsOf = (l: Partial<Record<LimitName, number | null | undefined>>): Limits => ({
  requests_per_minute: l.requests_per_minute ?? null,
  max_concurrent: l.max_concurrent ?? null,
  daily_budget_usd: l.daily_budget_usd ?? null,
  monthly_budget_usd: l.monthly_budget_usd ?? null,
});

const hasAny = (l: Limits) => LIMIT_NAMES.some((k) => l[k] !== null);

/** Body → rows: the tenant row always (so updated_by is kept), tool rows only when they limit something. */
export function rowsFromBody(body: QuotaConfigBody): QuotaRowInput[] {
  const row = (tool: string, l: Limits): QuotaRowInput => ({
    tool,
    requestsPerMinute: l.requests_per_minute,
    maxConcurrent: l.max_concurrent,
    dailyBudgetUsd: l.daily_budget_usd,
    monthlyBudgetUsd: l.monthly_budget_usd,
  });
  const tools = Object.entries(body.tools)
    .map(([tool, l]) => [tool, limitsOf(l)] as const)
    .filter(([, l]) => hasAny(l));
  return [row("*", limitsOf(body)), ...tools.map(([tool, l]) => row(tool, l))];
}

export function configFromRows(tenant: string, rows: QuotaRow[]): QuotaConfig {
  const fromRow = (r: QuotaRow): Limits => ({
    requests_per_minute: r.requestsPerMinute,
    max_concurrent: r.maxConcurrent,
    daily_budget_usd: r.dailyBudgetUsd,
    monthly_budget_usd: r.monthlyBudgetUsd,
  });
  const top = rows.find((r) => r.tool === "*");
  const latest = rows.reduce<QuotaRow | undefined>((a, r) => (!a || r.updatedAt > a.updatedAt ? r : a), undefined);
  return {
    tenant,
    ...(top ? fromRow(top) : limitsOf({})),
    tools: Object.fromEntries(rows.filter((r) => r.tool !== "*").map((r) => [r.tool, fromRow(r)])),
    updated_by: latest?.updatedBy ?? null,
    updated_at: latest?.updatedAt.toISOString() ?? null,
  };
}
