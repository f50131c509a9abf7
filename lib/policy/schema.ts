/**
 * The canonical policy language (seed 001, extended) as a zod 4 schema. Every object is strict:
 * an unknown key is an error, because a misspelt condition silently ignored would widen access.
 * The schema has no transforms, so the same object is both the parsed policy and what
 * `z.toJSONSchema` describes for the editor.
 */
import { z } from "zod";
import { isDuration } from "./duration";
import { HHMM_RE, dayNumber, isValidTimeZone } from "./time-window";
import { parseArgPath } from "./json-path";
import { regexProblem } from "./regex";

export const ACTIONS = ["allow", "deny", "approval"] as const;
export const PARAM_TYPES = ["string", "int", "integer", "float", "number", "bool", "boolean", "list", "array", "dict", "object"] as const;
export const FACT_NAMES = ["host", "method", "path", "body", "amount", "op", "cost"] as const;
/** What a rule governs: MCP tools (the default), resources (by URI) or prompts (by name). */
export const RULE_KINDS = ["tool", "resource", "prompt"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
/** Longest `match` pattern (resource URIs are the long ones). */
export const MAX_PATTERN_LENGTH = 2048;

/** True when `src` can be a policy regex: JS syntax, compiles on RE2, at most MAX_REGEX_LENGTH long. */
export function isValidRegex(src: string): boolean {
  return regexProblem(src) === null;
}

const NonEmpty = z.string().min(1, { error: "must not be empty" });
const oneOrMany = <T extends z.ZodType>(item: T, what: string) =>
  z.union([item, z.array(item).min(1, { error: `must list at least one ${what}` })], {
    error: `must be a ${what} or a list of them`,
  });
const listOf = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `must be a list of ${what}` }).min(1, { error: `must list at least one ${what}` });

const TOOL_PATTERN = /^[A-Za-z0-9_.:/*?-]+$/;
const TOOL_PATTERN_MSG = "tool patterns use letters, digits, `_ . : / -` and the wildcards `*` `?`";
const ToolPattern = z.string({ error: "must be a tool name or glob" }).regex(TOOL_PATTERN, { error: TOOL_PATTERN_MSG });
/** URI characters (RFC 3986, percent-encoded bytes included) and the glob wildcards. */
const RESOURCE_PATTERN = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
/**
 * A `match` entry: its alphabet depends on the rule's `kind` (checked on the rule), so this only
 * bounds it. Tool and prompt patterns are names; resource patterns are URIs (`file:///docs/*`).
 */
const MatchPattern = z
  .string({ error: "must be a name, URI or glob" })
  .min(1, { error: "must not be empty" })
  .max(MAX_PATTERN_LENGTH, { error: `must be at most ${MAX_PATTERN_LENGTH} characters` });
const AbsPath = z
  .string({ error: "must be an absolute path" })
  .refine((p) => p.startsWith("/") && !p.includes("\0"), { error: "must be an absolute path starting with `/`" });
const HostPattern = z
  .string({ error: "must be a host name" })
  .regex(/^(?:\*|(?:\*\.)?[A-Za-z0-9_[\]:-]+(?:\.[A-Za-z0-9_-]+)*\.?)$/, {
    error: "must be a host (`api.example.com`), a suffix pattern (`*.example.com`) or `*`",
  });
const Regex = z.string({ error: "must be a regular expression (a string)" }).superRefine((src, ctx) => {
  const problem = regexProblem(src);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: src });
});
const DURATION_MSG = "must be a number of seconds or a duration like `90s`, `30m`, `1h`, `1h30m`, `2d`";
const Duration = z.union(
  [z.number({ error: DURATION_MSG }).int({ error: DURATION_MSG }).positive({ error: DURATION_MSG }), z.string({ error: DURATION_MSG }).refine(isDuration, { error: DURATION_MSG })],
  { error: DURATION_MSG },
);
const Money = z.number({ error: "must be a number" }).nonnegative({ error: "must not be negative" });
const HHMM = z.string().regex(HHMM_RE, { error: "must be a time of day `HH:MM` (00:00–24:00)" });
const Day = z.union([z.number(), z.string()]).refine((d) => dayNumber(d) !== null, {
  error: "days are 1–7 (Monday = 1, Sunday = 7 or 0) or names such as `mon`, `friday`",
});
const TimeZone = z.string().refine(isValidTimeZone, { error: "is not an IANA time zone (e.g. `UTC`, `Europe/Paris`)" });
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const ArgPath = z.string().refine((p) => parseArgPath(p) !== null, {
  error: "is not an argument path (e.g. `path`, `options.force`, `$.items[0].id`)",
});

export const TimeWindowSchema = z.strictObject({
  days: listOf(Day, "day").optional(),
  start: HHMM.optional(),
  end: HHMM.optional(),
  timezone: TimeZone.optional(),
});

export const ParamConstraintSchema = z
  .strictObject({
    type: z.enum(PARAM_TYPES).optional(),
    required: z.boolean().optional(),
    max_length: z.number().int().nonnegative().optional(),
    pattern: Regex.optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    allowlist: listOf(Scalar, "value").optional(),
  });

export const ArgTestSchema = z
  .strictObject({
    equals: z.unknown().optional(),
    in: z.array(z.unknown()).optional(),
    regex: Regex.optional(),
    lt: z.number().optional(),
    gt: z.number().optional(),
    exists: z.boolean().optional(),
  })
  .refine((t) => Object.keys(t).length > 0, { error: "needs at least one of equals, in, regex, lt, gt, exists" });

export interface Conditions {
  method?: string | string[];
  host_in?: string | string[];
  host_not_in?: string | string[];
  body_bytes_over?: number;
  path_under?: string | string[];
  path_not_under?: string | string[];
  estimated_cost_usd_over?: number;
  cap_cents?: number;
  amount_cents_over?: number;
  ops?: string | string[];
  params?: Record<string, z.infer<typeof ParamConstraintSchema>>;
  target_roles?: string | string[];
  time_window?: z.infer<typeof TimeWindowSchema> | z.infer<typeof TimeWindowSchema>[];
  tenant_in?: string | string[];
  subject_in?: string | string[];
  roles_any?: string | string[];
  args?: Record<string, z.infer<typeof ArgTestSchema>>;
  not?: Conditions;
  any?: Conditions[];
}

export const ConditionsSchema: z.ZodType<Conditions> = z.lazy(() =>
  z.strictObject({
    method: oneOrMany(NonEmpty, "HTTP method").optional().describe("HTTP method(s) of the call (its `method` argument, case-insensitive), e.g. `GET` or `[POST, PUT]`. Holds when the call's method is listed."),
    host_in: oneOrMany(HostPattern, "host").optional().describe("Holds when the call's host (from every host argument: url, uri, endpoint, base_url, host, hostname) is listed: `api.example.com`, `*.example.com` (subdomains only) or `*`. No host: does not hold; two different hosts: deny."),
    host_not_in: oneOrMany(HostPattern, "host").optional().describe("Holds when the call's host is NOT listed (same host patterns as host_in). No host: does not hold."),
    body_bytes_over: z.number().int().nonnegative().optional().describe("Holds when the UTF-8 bytes of all body arguments (body, content, data, payload), summed, are strictly more than this."),
    path_under: oneOrMany(AbsPath, "path").optional().describe("Holds when every path the call names (path, paths, file, file_path, filepath), normalized (`.`, `..`, `//`), is under one of these absolute roots. No path: does not hold."),
    path_not_under: oneOrMany(AbsPath, "path").optional().describe("Holds when at least one normalized path the call names is outside all of these absolute roots (`/sandbox/tmpevil` is not under `/sandbox/tmp`). No path: does not hold."),
    estimated_cost_usd_over: Money.optional().describe("Holds when the call's estimated cost in USD (catalog price, raised by a stated estimated_cost_usd) is strictly more than this. An unknown cost counts as over (see unknown_cost)."),
    cap_cents: Money.optional().describe("AegisMCP cap: holds when the `amount_cents` argument is known and at most this."),
    amount_cents_over: Money.optional().describe("Holds when the `amount_cents` argument is strictly more than this; an unknown amount counts as over."),
    ops: oneOrMany(NonEmpty, "op").optional().describe("Holds when the call's `op` argument is listed."),
    params: z.record(z.string(), ParamConstraintSchema).optional().describe("TailOps parameter constraints: `{name: {type, required, max_length, pattern, min, max, allowlist}}`. Holds when every parameter satisfies its constraints (absent optional parameters pass)."),
    target_roles: oneOrMany(NonEmpty, "role").optional().describe("Holds when the call's target role is listed."),
    time_window: z
      .union([TimeWindowSchema, listOf(TimeWindowSchema, "window")], {
        error: "must be a window {days, start, end, timezone} or a list of them",
      })
      .optional().describe("Holds when the time of the call is inside the window `{days, start, end, timezone}` (or any of a list of windows). Days 1 = Monday … 7 = Sunday or names; `start <= time < end`; end before start wraps midnight; default timezone UTC."),
    tenant_in: oneOrMany(NonEmpty, "tenant").optional().describe("Holds when the caller's tenant is listed."),
    subject_in: oneOrMany(NonEmpty, "subject").optional().describe("Holds when the caller (token subject or console user) is listed."),
    roles_any: oneOrMany(NonEmpty, "role").optional().describe("Holds when any of the caller's roles is listed."),
    args: z.record(ArgPath, ArgTestSchema).optional().describe("Tests on argument values by JSON path: `{\"options.force\": {equals: true}}` with equals, in, regex, lt, gt, exists. Holds when every test holds."),
    not: ConditionsSchema.optional().describe("A condition block that must NOT hold."),
    any: listOf(ConditionsSchema, "condition block").optional().describe("A list of condition blocks; holds when at least one of them holds."),
  }),
);

const approvalFields = {
  required_approvals: z.number().int().min(1).max(100).optional().describe("Approval only: how many distinct approvers must approve (1–100, default 1)."),
  approver_group: NonEmpty.optional().describe("Approval only: the group whose members may approve (e.g. `secops`)."),
  expires_in: Duration.optional().describe("Approval only: how long the request stays open: seconds or `90s`, `30m`, `1h`, `1h30m`, `2d` (default 1h)."),
};

/** What a call of unknown cost gets (lib/policy/README.md, "Unknown cost"). */
const UnknownCost = z
  .enum(ACTIONS, { error: "must be allow, deny or approval" })
  .describe(
    "Decision for a call whose cost is unknown (a cloud operation the price catalog lacks). On a rule: when the cost is unknown and the rule matches, it decides this instead of its action. In defaults: the same for rules that test estimated_cost_usd_over without their own setting; `allow` also lets budgets admit such a call at $0.",
  );

export const RuleSchema = z
  .strictObject({
    name: NonEmpty.describe("Unique name of the rule; decisions, traces and approvals name it."),
    description: z.string().optional(),
    enabled: z.boolean().optional().describe("`false` skips the rule (default true)."),
    kind: z
      .enum(RULE_KINDS, { error: "must be tool, resource or prompt" })
      .optional()
      .describe("What the rule governs: `tool` (default: tools/call), `resource` (resources/read and subscribe, matched on the resource URI) or `prompt` (prompts/get and completions, matched on the prompt name). Resources and prompts no rule allows are denied whatever `defaults` says."),
    match: oneOrMany(MatchPattern, "pattern").describe("What the rule governs, by name: tool names (`fs.write`, globs `fs.*`, `*`, `?`), resource URIs (`file:///docs/*`) or prompt names, per `kind`; or a list."),
    // Seed 001 writes `where:` with only a comment under it: an empty block means no conditions.
    where: ConditionsSchema.nullable().optional().describe("Conditions that must all hold for the rule to decide (omitted: always). Rules run top down; the first that matches decides."),
    action: z.enum(ACTIONS).describe("The decision: `allow`, `deny`, or `approval` (a human must approve first)."),
    reason: z.string().optional().describe("Why, shown to the agent and recorded in the audit log."),
    unknown_cost: UnknownCost.optional(),
    ...approvalFields,
  })
  .superRefine((r, ctx) => {
    const kind = r.kind ?? "tool";
    const patterns = typeof r.match === "string" ? [r.match] : r.match;
    patterns.forEach((p, i) => {
      const ok = kind === "resource" ? RESOURCE_PATTERN.test(p) : TOOL_PATTERN.test(p);
      if (ok) return;
      const message = kind === "resource" ? "resource patterns are URIs or URI globs (RFC 3986 characters, no spaces), e.g. `file:///docs/*` or `test://*`" : kind === "prompt" ? TOOL_PATTERN_MSG.replace("tool", "prompt") : TOOL_PATTERN_MSG;
      ctx.addIssue({ code: "custom", path: typeof r.match === "string" ? ["match"] : ["match", i], message, input: p });
    });
    if (kind !== "tool") {
      // An approval is bound to a tool call's arguments and retried with _meta.approval_id; a
      // resource read or prompt get has no such retry in MCP, so it is refused at authoring time.
      if (r.action === "approval") ctx.addIssue({ code: "custom", path: ["action"], message: `\`approval\` is not supported for kind: ${kind} rules (MCP gives a ${kind} request no way to come back with an approval): use allow or deny` });
      if (r.unknown_cost !== undefined) ctx.addIssue({ code: "custom", path: ["unknown_cost"], message: `\`unknown_cost\` applies to tool calls only, not to kind: ${kind} rules` });
    }
    if (r.action === "approval" || r.unknown_cost === "approval") return;
    for (const k of ["required_approvals", "approver_group", "expires_in"] as const) {
      if (r[k] !== undefined)
        ctx.addIssue({ code: "custom", path: [k], message: `\`${k}\` only applies to \`action: approval\` (or \`unknown_cost: approval\`)` });
    }
  });

export const DefaultsSchema = z.strictObject({
  decision: z.enum(ACTIONS).describe("Decision when no rule matches (deny when `defaults` is absent)."),
  reason: z.string().optional(),
  unknown_cost: UnknownCost.optional(),
  ...approvalFields,
});

export const FactMapSchema = z.strictObject(
  Object.fromEntries(FACT_NAMES.map((f) => [f, oneOrMany(ArgPath, "argument path").optional()])) as Record<
    (typeof FACT_NAMES)[number],
    z.ZodOptional<z.ZodUnion<[typeof ArgPath, z.ZodArray<typeof ArgPath>]>>
  >,
);

export const PolicySchema = z
  .strictObject({
    version: z.literal(1),
    name: z.string().optional(),
    description: z.string().optional(),
    defaults: DefaultsSchema.optional(),
    facts: z.record(ToolPattern, FactMapSchema).optional(),
    rules: z.array(RuleSchema, { error: "must be a list of rules" }),
  })
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.rules.forEach((r, i) => {
      const prev = seen.get(r.name);
      if (prev !== undefined)
        ctx.addIssue({ code: "custom", path: ["rules", i, "name"], message: `duplicate rule name \`${r.name}\` (also rules[${prev}])` });
      else seen.set(r.name, i);
    });
  });

export type Policy = z.infer<typeof PolicySchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type Defaults = z.infer<typeof DefaultsSchema>;
export type FactMap = z.infer<typeof FactMapSchema>;
export type TimeWindow = z.infer<typeof TimeWindowSchema>;
export type ParamConstraint = z.infer<typeof ParamConstraintSchema>;
export type ArgTest = z.infer<typeof ArgTestSchema>;

/** Keys allowed in each kind of object, for "unknown key" messages and suggestions. */
export const ALLOWED_KEYS = {
  policy: ["version", "name", "description", "defaults", "facts", "rules"],
  defaults: ["decision", "reason", "unknown_cost", "required_approvals", "approver_group", "expires_in"],
  rule: ["name", "description", "enabled", "kind", "match", "where", "action", "reason", "unknown_cost", "required_approvals", "approver_group", "expires_in"],
  conditions: [
    "method", "host_in", "host_not_in", "body_bytes_over", "path_under", "path_not_under",
    "estimated_cost_usd_over", "cap_cents", "amount_cents_over", "ops", "params", "target_roles",
    "time_window", "tenant_in", "subject_in", "roles_any", "args", "not", "any",
  ],
  param: ["type", "required", "max_length", "pattern", "min", "max", "allowlist"],
  arg: ["equals", "in", "regex", "lt", "gt", "exists"],
  time_window: ["days", "start", "end", "timezone"],
  facts: [...FACT_NAMES],
} as const;

let jsonSchemaCache: Record<string, unknown> | null = null;

/** JSON Schema (draft 2020-12) of the language, for the policy editor. */
export function policyJsonSchema(): Record<string, unknown> {
  if (!jsonSchemaCache) {
    jsonSchemaCache = {
      ...(z.toJSONSchema(PolicySchema, { io: "input", unrepresentable: "any", cycles: "ref" }) as Record<string, unknown>),
      title: "CanopyIQ policy",
    };
  }
  return jsonSchemaCache;
}
