"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { ValidationIssue } from "@/lib/console/policy-api";
import type { Monaco } from "@/lib/console/monaco";

type Editor = ReturnType<Monaco["editor"]["create"]>;
type Model = ReturnType<Monaco["editor"]["createModel"]>;

export interface PolicyCodeEditorProps {
  value: string;
  onChange?: (value: string) => void;
  readOnly: boolean;
  /** The policy JSON Schema (editorSchema of lib/policy's policyJsonSchema): completion and hovers. */
  schema: Record<string, unknown>;
  /** The server validator's findings, shown as markers at their line and column. */
  issues: readonly ValidationIssue[];
  label: string;
  className?: string;
  /** Called once the editor exists and takes keystrokes. */
  onReady?: () => void;
}

const MARKER_OWNER = "canopy-validate";

/** Markers from the validator: from the finding's column to the end of the token there (or of the line). */
function markersFor(monaco: Monaco, model: Model, issues: readonly ValidationIssue[]) {
  const lines = model.getLineCount();
  return issues.map((e) => {
    const line = Math.min(Math.max(e.line, 1), lines);
    const maxCol = model.getLineMaxColumn(line);
    const column = e.line > 0 ? Math.min(Math.max(e.column, 1), maxCol) : 1;
    const word = model.getWordAtPosition({ lineNumber: line, column });
    let end = word && word.endColumn > column ? word.endColumn : maxCol;
    if (end <= column) end = Math.min(column + 1, maxCol);
    return {
      severity: monaco.MarkerSeverity.Error,
      message: e.message,
      source: e.path || "policy",
      startLineNumber: line,
      startColumn: column,
      endLineNumber: line,
      endColumn: end > column ? end : column + 1,
    };
  });
}

/**
 * The policy YAML editor: Monaco from the installed package, loaded in the browser only (the
 * module is imported inside an effect). The YAML language service completes keys, conditions and
 * actions from the schema and shows each one's documentation on hover; markers are the server
 * validator's findings.
 */
export function PolicyCodeEditor({ value, onChange, readOnly, schema, issues, label, className, onReady }: PolicyCodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const id = useId().replace(/[^a-zA-Z0-9]/g, "");
  const [state, setState] = useState<{ monaco: Monaco; editor: Editor; model: Model } | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const onChangeRef = useRef(onChange);
  const onReadyRef = useRef(onReady);
  const valueRef = useRef(value);
  const external = useRef(false);
  useEffect(() => {
    onChangeRef.current = onChange;
    onReadyRef.current = onReady;
    valueRef.current = value;
  });

  useEffect(() => {
    let disposed = false;
    let created: { editor: Editor; model: Model } | null = null;
    import("@/lib/console/monaco")
      .then(({ loadMonaco }) => {
        if (disposed || !host.current) return;
        const monaco = loadMonaco(schema);
        const model = monaco.editor.createModel(valueRef.current, "yaml", monaco.Uri.parse(`file:///canopy/draft-${id}.policy.yaml`));
        const editor = monaco.editor.create(host.current, {
          model,
          readOnly,
          ariaLabel: label,
          automaticLayout: true,
          minimap: { enabled: false },
          fontSize: 13,
          tabSize: 2,
          insertSpaces: true,
          scrollBeyondLastLine: false,
          wordWrap: "on",
          fixedOverflowWidgets: true,
          quickSuggestions: { other: true, comments: false, strings: true },
          readOnlyMessage: { value: "Read-only: your role cannot change policies (policies.write)." },
        });
        editor.onDidChangeModelContent(() => {
          if (!external.current) onChangeRef.current?.(model.getValue());
        });
        created = { editor, model };
        setState({ monaco, editor, model });
        onReadyRef.current?.();
      })
      .catch((err: Error) => !disposed && setFailed(err.message));
    return () => {
      disposed = true;
      created?.editor.dispose();
      created?.model.dispose();
    };
    // The editor is created once; value, readOnly and markers follow in the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, schema]);

  // A new value from outside (discard, a reset): one undoable edit, not a reset of the undo stack.
  useEffect(() => {
    if (!state || state.model.getValue() === value) return;
    external.current = true;
    try {
      state.editor.pushUndoStop();
      state.editor.executeEdits("canopy", [{ range: state.model.getFullModelRange(), text: value }]);
      state.editor.pushUndoStop();
    } finally {
      external.current = false;
    }
  }, [state, value]);

  useEffect(() => {
    state?.editor.updateOptions({ readOnly });
  }, [state, readOnly]);

  useEffect(() => {
    if (!state) return;
    state.monaco.editor.setModelMarkers(state.model, MARKER_OWNER, markersFor(state.monaco, state.model, issues));
  }, [state, issues, value]);

  return (
    <div className={`relative overflow-hidden rounded-md border border-slate-300 bg-white ${className ?? ""}`}>
      <div ref={host} className="h-full w-full" data-testid="policy-editor" data-editor-ready={state ? "true" : "false"} data-readonly={readOnly ? "true" : "false"} />
      {!state && !failed && <p className="absolute inset-0 grid place-items-center text-sm text-slate-500">Loading the editor…</p>}
      {failed && (
        <p role="alert" className="absolute inset-0 grid place-items-center p-4 text-sm text-red-700">
          The editor could not load: {failed}
        </p>
      )}
    </div>
  );
}

export default PolicyCodeEditor;
