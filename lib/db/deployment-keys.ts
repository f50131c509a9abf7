import type { KeyFingerprints } from "@/lib/secrets/fingerprint";
import type { PrismaClient } from "./generated/client";

const ID = "current";

export interface RecordedKeys extends KeyFingerprints {
  recordedBy: string;
  recordedAt: Date;
}

/** Records the fingerprints when none are (the first process on this database); returns what is recorded. */
export async function recordOrReadKeys(prisma: PrismaClient, mine: KeyFingerprints, by: string): Promise<RecordedKeys> {
  await prisma.deploymentKeys.createMany({ data: [{ id: ID, ...mine, recordedBy: by }], skipDuplicates: true });
  const row = await prisma.deploymentKeys.findUniqueOrThrow({ where: { id: ID } });
  return row;
}

/** Replaces the recorded fingerprints (an operator's deliberate key change). */
export async function replaceKeys(prisma: PrismaClient, mine: KeyFingerprints, by: string, at: Date): Promise<void> {
  await prisma.deploymentKeys.upsert({ where: { id: ID }, create: { id: ID, ...mine, recordedBy: by, recordedAt: at }, update: { ...mine, recordedBy: by, recordedAt: at } });
}
