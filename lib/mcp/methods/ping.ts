import type { MethodEntry } from "./context";

/** ping (session era; 2026-07-28 removed it). */
export const ping: MethodEntry = { eras: ["session"], handle: async () => ({}) };
