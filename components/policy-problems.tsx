import { formatIssue, type ValidationIssue } from "@/lib/console/policy-api";
import type { ValidationState } from "@/lib/console/use-policy-validation";

/** The validator's findings under the editor, worded as `canopy policy validate` prints them. */
export function PolicyProblems({ validation }: { validation: ValidationState }) {
  const issues: ValidationIssue[] = validation.result && !validation.result.ok ? validation.result.errors : [];
  return (
    <div className="mt-2 text-sm" aria-label="Problems" role="region">
      <p role="status" aria-live="polite" data-testid="validation-status" className={validation.status === "invalid" ? "text-red-700" : validation.status === "valid" ? "text-canopy-700" : "text-slate-600"}>
        {validation.status === "checking"
          ? "Checking…"
          : validation.status === "valid"
            ? `Valid: ${validation.result?.rules ?? 0} rule${validation.result?.rules === 1 ? "" : "s"}`
            : validation.status === "invalid"
              ? `${issues.length} problem${issues.length === 1 ? "" : "s"}`
              : validation.status === "error"
                ? `The validator could not be reached: ${validation.error}`
                : ""}
      </p>
      {issues.length > 0 && (
        <ul className="mt-1 max-h-40 space-y-0.5 overflow-y-auto font-mono text-xs text-red-800" aria-label="Validation problems">
          {issues.map((e, i) => (
            <li key={i}>{formatIssue(e)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
