"use client";

import { useEffect, useState } from "react";
import { isAbort, type PolicyApi, PolicyApiError, type ValidateResult } from "./policy-api";

export interface ValidationState {
  /** checking: a request for the current text is pending (or debouncing). */
  status: "idle" | "checking" | "valid" | "invalid" | "error";
  /** The result for `text` (the last text checked). */
  result: ValidateResult | null;
  text: string | null;
  error: string | null;
}

/**
 * The server's own validator on the draft, `debounceMs` after the last keystroke; a newer text
 * aborts the request for an older one, so at most one validation is in flight.
 */
export function usePolicyValidation(api: PolicyApi, text: string, opts: { enabled?: boolean; debounceMs?: number } = {}): ValidationState {
  const enabled = opts.enabled ?? true;
  const debounceMs = opts.debounceMs ?? 350;
  const [state, setState] = useState<Omit<ValidationState, "status"> & { status: Exclude<ValidationState["status"], "checking"> }>({
    status: "idle",
    result: null,
    text: null,
    error: null,
  });

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      if (!text.trim()) {
        setState({ status: "invalid", text, error: null, result: { ok: false, errors: [{ line: 1, column: 1, path: "", message: "the policy is empty" }] } });
        return;
      }
      api.validate(text, controller.signal).then(
        (result) => setState({ status: result.ok ? "valid" : "invalid", result, text, error: null }),
        (err) => {
          if (isAbort(err)) return;
          // The validator refusing the body itself (too large, …) is a finding about the text.
          if (err instanceof PolicyApiError && err.status < 500 && err.status !== 401 && err.status !== 403)
            setState({ status: "invalid", text, error: null, result: { ok: false, errors: [{ line: 0, column: 0, path: "", message: err.message }] } });
          else setState((s) => ({ ...s, status: "error", text, error: (err as Error).message }));
        },
      );
    }, debounceMs);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, text, enabled, debounceMs]);

  return { ...state, status: enabled && state.text !== text ? "checking" : state.status };
}
