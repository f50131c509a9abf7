/**
 * An author's policy draft: the text and the version it was started from. Today it lives in this
 * browser (localStorage, per tenant and user); the DraftStore interface is what a server-backed
 * store (drafts saved per author as they type) will implement without the studio changing.
 */
import { z } from "zod";
import type { PolicyApi } from "./policy-api";

/** A draft larger than the policy API accepts could never be applied; it is not kept either. */
export const MAX_DRAFT_CHARS = 1_000_000;

export const draftSchema = z.object({
  text: z.string().max(MAX_DRAFT_CHARS),
  /** The active version when the draft was started (null: the tenant ran none). */
  base_version: z.number().int().positive().nullable(),
  saved_at: z.string(),
});
export type PolicyDraft = z.infer<typeof draftSchema>;

export interface DraftStore {
  load(): Promise<PolicyDraft | null>;
  save(draft: PolicyDraft): Promise<void>;
  clear(): Promise<void>;
}

export function draftKey(tenant: string, user: string): string {
  return `canopy.policy-draft.v1:${tenant}:${user}`;
}

export class DraftNotSaved extends Error {}

export function localDraftStore(storage: Pick<Storage, "getItem" | "setItem" | "removeItem"> | undefined, key: string): DraftStore {
  return {
    async load() {
      const raw = storage?.getItem(key);
      if (!raw) return null;
      try {
        const r = draftSchema.safeParse(JSON.parse(raw));
        return r.success ? r.data : null;
      } catch {
        return null;
      }
    },
    async save(draft) {
      if (!storage) throw new DraftNotSaved("this browser keeps no local storage: the draft lives only in this tab");
      if (draft.text.length > MAX_DRAFT_CHARS) throw new DraftNotSaved(`the draft is over ${MAX_DRAFT_CHARS.toLocaleString("en")} characters and is not kept`);
      try {
        storage.setItem(key, JSON.stringify(draftSchema.parse(draft)));
      } catch (err) {
        if (err instanceof DraftNotSaved) throw err;
        throw new DraftNotSaved(`the browser refused to keep the draft (${(err as Error).message}); copy it somewhere safe`);
      }
    },
    async clear() {
      storage?.removeItem(key);
    },
  };
}

/** Drafts on the server, per author and tenant (PUT /api/v1/policy/draft): back after a reload, a sign-out or another browser. */
export function serverDraftStore(api: Pick<PolicyApi, "draft" | "saveDraft" | "clearDraft">): DraftStore {
  return {
    async load() {
      const d = await api.draft();
      return d ? { text: d.text, base_version: d.base_version, saved_at: d.saved_at } : null;
    },
    async save(draft) {
      if (draft.text.length > MAX_DRAFT_CHARS) throw new DraftNotSaved(`the draft is over ${MAX_DRAFT_CHARS.toLocaleString("en")} characters and is not kept`);
      try {
        await api.saveDraft({ text: draft.text, base_version: draft.base_version });
      } catch (err) {
        throw new DraftNotSaved(`the server did not keep the draft (${(err as Error).message}); it is still in this tab`);
      }
    },
    async clear() {
      await api.clearDraft();
    },
  };
}

/** The policy a tenant without any starts from: deny by default, one example rule. */
export const STARTER_POLICY = `version: 1
defaults:
  decision: deny
rules:
  - name: "read-only file tools"
    match: ["fs.read", "fs.list"]
    action: allow
`;
