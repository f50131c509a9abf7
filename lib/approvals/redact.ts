/**
 * Arguments shown to approvers (inbox, Slack) and stored in approvals.args: secrets replaced.
 * The digest that binds the approval is taken over the original arguments, before redaction.
 * TODO(audit): use lib/audit's redaction once it exists, so both show the same thing.
 */
const SECRET_KEY = /pass(word|phrase)?|secret|token|api[_-]?key|authorization|cookie|private[_-]?key|credential/i;

export function redactArgs(value: unknown, depth = 0): unknown {
  if (depth > 32) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => redactArgs(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && v !== null && typeof v !== "object" ? "[redacted]" : redactArgs(v, depth + 1);
    }
    return out;
  }
  return value;
}
