"use client";

import { useState } from "react";

/** Copies `value` to the clipboard on demand; `copied` turns true once it was asked (a denied clipboard is not an error). */
export function useCopy(value: string): { copied: boolean; copy: () => Promise<void> } {
  const [copied, setCopied] = useState(false);
  return {
    copied,
    copy: async () => {
      await navigator.clipboard?.writeText(value).catch(() => undefined);
      setCopied(true);
    },
  };
}
