"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { Monaco } from "@/lib/console/monaco";

type DiffEditor = ReturnType<Monaco["editor"]["createDiffEditor"]>;
type Model = ReturnType<Monaco["editor"]["createModel"]>;

export interface PolicyDiffEditorProps {
  original: string;
  modified: string;
  originalLabel: string;
  modifiedLabel: string;
  schema: Record<string, unknown>;
  className?: string;
}

/** Monaco's diff editor, read-only: side by side where there is room, inline on a phone. */
export function PolicyDiffEditor({ original, modified, originalLabel, modifiedLabel, schema, className }: PolicyDiffEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const id = useId().replace(/[^a-zA-Z0-9]/g, "");
  const [state, setState] = useState<{ editor: DiffEditor; original: Model; modified: Model } | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const texts = useRef({ original, modified });
  useEffect(() => {
    texts.current = { original, modified };
  });

  useEffect(() => {
    let disposed = false;
    let created: { editor: DiffEditor; original: Model; modified: Model } | null = null;
    import("@/lib/console/monaco")
      .then(({ loadMonaco }) => {
        if (disposed || !host.current) return;
        const monaco = loadMonaco(schema);
        const o = monaco.editor.createModel(texts.current.original, "yaml", monaco.Uri.parse(`file:///canopy/diff-a-${id}.policy.yaml`));
        const m = monaco.editor.createModel(texts.current.modified, "yaml", monaco.Uri.parse(`file:///canopy/diff-b-${id}.policy.yaml`));
        const editor = monaco.editor.createDiffEditor(host.current, {
          readOnly: true,
          originalEditable: false,
          automaticLayout: true,
          renderSideBySide: true,
          useInlineViewWhenSpaceIsLimited: true,
          minimap: { enabled: false },
          scrollBeyondLastLine: false,
          fontSize: 12,
          ariaLabel: `${originalLabel} compared with ${modifiedLabel}`,
        });
        editor.setModel({ original: o, modified: m });
        created = { editor, original: o, modified: m };
        setState(created);
      })
      .catch((err: Error) => !disposed && setFailed(err.message));
    return () => {
      disposed = true;
      created?.editor.dispose();
      created?.original.dispose();
      created?.modified.dispose();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, schema]);

  useEffect(() => {
    if (!state) return;
    if (state.original.getValue() !== original) state.original.setValue(original);
    if (state.modified.getValue() !== modified) state.modified.setValue(modified);
  }, [state, original, modified]);

  return (
    <div className={className}>
      <div className="mb-1 grid grid-cols-2 gap-2 text-xs font-medium text-slate-600">
        <span>{originalLabel}</span>
        <span>{modifiedLabel}</span>
      </div>
      <div className="relative h-80 overflow-hidden rounded-md border border-slate-300 bg-white sm:h-[26rem]">
        <div ref={host} className="h-full w-full" data-testid="policy-diff-editor" data-editor-ready={state ? "true" : "false"} />
        {!state && !failed && <p className="absolute inset-0 grid place-items-center text-sm text-slate-500">Loading the diff…</p>}
        {failed && (
          <p role="alert" className="absolute inset-0 grid place-items-center p-4 text-sm text-red-700">
            The diff editor could not load: {failed}
          </p>
        )}
      </div>
    </div>
  );
}

export default PolicyDiffEditor;
