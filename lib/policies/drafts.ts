import type { Principal } from "@/lib/auth";
import { getDb } from "@/lib/db";
import * as q from "@/lib/db/policy-drafts";
import { notFound } from "@/lib/errors";
import { policyHash } from "./identity";
import type { DraftBody } from "./schemas";

function view(d: q.DraftRow) {
  return { tenant: d.tenantId, author: d.author, text: d.text, base_version: d.baseVersion, hash: policyHash(d.text), saved_at: d.updatedAt.toISOString() };
}

/** The caller's own draft in its tenant (drafts are per author: no one reads another's). */
export async function getOwnDraft(principal: Principal) {
  const { prisma } = await getDb();
  const d = await q.getDraft(prisma, principal.tenant, principal.subject);
  if (!d) throw notFound(`${principal.subject} has no saved policy draft in ${principal.tenant}`);
  return view(d);
}

export async function saveOwnDraft(principal: Principal, body: DraftBody) {
  const { prisma } = await getDb();
  return view(await q.saveDraft(prisma, { tenantId: principal.tenant, author: principal.subject, text: body.text, baseVersion: body.base_version }));
}

export async function deleteOwnDraft(principal: Principal) {
  const { prisma } = await getDb();
  return { deleted: await q.deleteDraft(prisma, principal.tenant, principal.subject) };
}
