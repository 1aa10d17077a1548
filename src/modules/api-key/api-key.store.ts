import { and, desc, eq, isNull } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { apiKeys, type ApiKeyRow } from "../../db/schema/index.js";

export async function insertApiKey(
  tx: DbOrTx,
  values: { userId: number; name: string; prefix: string; keyHash: string },
): Promise<{ id: number }> {
  const [row] = await tx.insert(apiKeys).values(values).returning({ id: apiKeys.id });
  return row!;
}

export async function findApiKey(db: DbOrTx, id: number): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}

export function ownerOfApiKey(db: DbOrTx, id: number): Promise<number | undefined> {
  return db
    .select({ userId: apiKeys.userId })
    .from(apiKeys)
    .where(eq(apiKeys.id, id))
    .then(([row]) => row?.userId);
}

/** A user's keys, newest first. */
export function apiKeysOfUser(db: DbOrTx, userId: number): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
}

/** Revokes the key if it is not revoked yet; undefined when it was (or does not exist). */
export async function revokeApiKey(tx: DbOrTx, id: number): Promise<ApiKeyRow | undefined> {
  const [revoked] = await tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return revoked;
}
