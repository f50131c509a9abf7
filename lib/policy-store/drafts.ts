import type { Principal } from "@/lib/auth";
import type { Services } from "@/lib/server/types";
import * as q from "@/lib/db/policy-drafts";
import { notFound } from "@/lib/errors";
import { policyHash } from "./identity";
import type { DraftBody } from "./schemas";

function view(d: q.DraftRow) {
  return { tenant: d.tenantId, author: d.author, text: d.text, base_version: d.baseVersion, hash: policyHash(d.text), saved_at: d.updatedAt.toISOString() };
}

/** The caller's own draft in its tenant (drafts are per author: no one reads another's). */
export async function getOwnDraft(svc: Services, principal: Principal) {
  const { prisma } = await svc.db();
  const d = await q.getDraft(prisma, principal.tenant, principal.subject);
  if (!d) throw notFound(`${principal.subject} has no saved policy draft in ${principal.tenant}`);
  return view(d);
}

export async function saveOwnDraft(svc: Services, principal: Principal, body: DraftBody) {
  const { prisma } = await svc.db();
  return view(await q.saveDraft(prisma, { tenantId: principal.tenant, author: principal.subject, text: body.text, baseVersion: body.base_version }));
}

export async function deleteOwnDraft(svc: Services, principal: Principal) {
  const { prisma } = await svc.db();
  return { deleted: await q.deleteDraft(prisma, principal.tenant, principal.subject) };
}
