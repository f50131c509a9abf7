"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { type DraftStore, type PolicyDraft, STARTER_POLICY } from "./drafts";

export interface DraftBase {
  /** The active policy's text and version; null when the tenant runs none. */
  text: string;
  version: number | null;
}

export interface DraftState {
  /** False until both the stored draft and the active policy are known. */
  ready: boolean;
  text: string;
  setText(text: string): void;
  /** The version the draft was started from. */
  baseVersion: number | null;
  /** The draft came back from the store (a reload, another tab). */
  restored: boolean;
  savedAt: string | null;
  saveError: string | null;
  /** Differs from the active policy's text. */
  dirty: boolean;
  /** Back to the active policy; the stored draft is dropped. */
  discard(): void;
  /** Keep the text, but count it as based on the active version now (after applying it, or after reviewing a newer one). */
  rebase(version?: number | null): void;
}

/**
 * The author's draft: restored from `store` when there is one, else the active policy; saved
 * `saveDelayMs` after the last keystroke. `base` undefined means "still loading".
 */
export function useDraft(store: DraftStore, base: DraftBase | null | undefined, opts: { saveDelayMs?: number; readOnly?: boolean } = {}): DraftState {
  const saveDelayMs = opts.saveDelayMs ?? 400;
  const [loaded, setLoaded] = useState<{ draft: PolicyDraft | null } | null>(null);
  const [text, setTextState] = useState<string | null>(null);
  const [baseVersion, setBaseVersion] = useState<number | null>(null);
  const [restored, setRestored] = useState(false);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const pending = useRef<PolicyDraft | null>(null);

  useEffect(() => {
    let live = true;
    store.load().then(
      (draft) => live && setLoaded({ draft }),
      () => live && setLoaded({ draft: null }),
    );
    return () => {
      live = false;
    };
  }, [store]);

  // Both known: the text starts as the stored draft (a viewer always sees the active policy).
  const ready = loaded !== null && base !== undefined;
  const baseText = base?.text ?? STARTER_POLICY;
  const [seenBase, setSeenBase] = useState<{ text: string; version: number | null } | null>(null);
  if (ready && text === null) {
    const draft = opts.readOnly ? null : loaded.draft;
    setTextState(draft ? draft.text : baseText);
    setBaseVersion(draft ? draft.base_version : (base?.version ?? null));
    setRestored(Boolean(draft));
    setSavedAt(draft?.saved_at ?? null);
    setSeenBase({ text: baseText, version: base?.version ?? null });
  } else if (ready && text !== null && seenBase && seenBase.version !== (base?.version ?? null)) {
    // The active policy changed (an apply, a rollback, another author): an untouched draft follows it.
    setSeenBase({ text: baseText, version: base?.version ?? null });
    if (text === seenBase.text) {
      setTextState(baseText);
      setBaseVersion(base?.version ?? null);
    }
  }

  const flush = useCallback(() => {
    const d = pending.current;
    pending.current = null;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (!d) return;
    store.save(d).then(
      () => {
        setSavedAt(d.saved_at);
        setSaveError(null);
      },
      (err: Error) => setSaveError(err.message),
    );
  }, [store]);

  // A pending save is written when the page goes away (reload, tab closed, navigation).
  useEffect(() => {
    const onHide = () => flush();
    window.addEventListener("pagehide", onHide);
    return () => {
      window.removeEventListener("pagehide", onHide);
      flush();
    };
  }, [flush]);

  const setText = useCallback(
    (next: string) => {
      if (opts.readOnly) return;
      setTextState(next);
      pending.current = { text: next, base_version: baseVersion, saved_at: new Date().toISOString() };
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(flush, saveDelayMs);
    },
    [baseVersion, flush, opts.readOnly, saveDelayMs],
  );

  const discard = useCallback(() => {
    pending.current = null;
    if (timer.current) clearTimeout(timer.current);
    store.clear().catch(() => undefined);
    setTextState(base?.text ?? STARTER_POLICY);
    setBaseVersion(base?.version ?? null);
    setRestored(false);
    setSavedAt(null);
    setSaveError(null);
  }, [base, store]);

  const rebase = useCallback((version?: number | null) => {
    const v = version !== undefined ? version : (base?.version ?? null);
    setBaseVersion(v);
    if (text !== null && !opts.readOnly) {
      pending.current = { text, base_version: v, saved_at: new Date().toISOString() };
      flush();
    }
  }, [base, flush, opts.readOnly, text]);

  const current = text ?? "";
  return {
    ready: ready && text !== null,
    text: current,
    setText,
    baseVersion,
    restored,
    savedAt,
    saveError,
    dirty: ready && current !== baseText,
    discard,
    rebase,
  };
}
