/** Which policy dialect a parsed YAML object is written in. */
export type PolicyFormat = "canonical" | "aegis-v1" | "aegis-v2" | "tailops-v2" | "unknown";

const AEGIS_V1_KEYS = ["allow_tools", "deny_tools"];
const TAILOPS_KEYS = ["global_policies", "role_policies", "emergency_policies", "deny_by_default"];

export function detectFormat(value: unknown): PolicyFormat {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "unknown";
  const o = value as Record<string, unknown>;
  const inner = o.policies;
  if (inner && typeof inner === "object" && !Array.isArray(inner) && TAILOPS_KEYS.some((k) => k in inner)) return "tailops-v2";
  if (TAILOPS_KEYS.some((k) => k in o)) return "tailops-v2";
  if (!("rules" in o) && (AEGIS_V1_KEYS.some((k) => k in o) || Object.keys(o).some((k) => /^max_\w+_cents$/.test(k))))
    return "aegis-v1";
  if (Array.isArray(o.rules)) {
    const rules = o.rules as unknown[];
    const objs = rules.filter((r): r is Record<string, unknown> => !!r && typeof r === "object" && !Array.isArray(r));
    const decisionStyle = objs.some((r) => "decision" in r) && !objs.some((r) => "action" in r);
    if (decisionStyle || (o.version === 2 && !objs.some((r) => "action" in r))) return "aegis-v2";
    return "canonical";
  }
  if ("version" in o) return "canonical";
  return "unknown";
}
