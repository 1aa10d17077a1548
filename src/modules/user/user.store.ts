import { and, asc, eq, ilike, ne, or, type SQL } from "drizzle-orm";
import { anyOf } from "../../db/any-of.js";
import type { DbOrTx } from "../../db/client.js";
import { teamMembers, userExternalIds, users, type UserRole, type UserRow } from "../../db/schema/index.js";

export async function findUser(db: DbOrTx, id: number): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function findUserByEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
  return row;
}

export async function usersByIds(db: DbOrTx, ids: readonly number[]): Promise<UserRow[]> {
  return db.select().from(users).where(anyOf(users.id, ids));
}

export interface UserQuery {
  role?: UserRole;
  isActive?: boolean;
  search?: string;
  /** Restricts the list to these users (a manager's reports); undefined means everyone. */
  within?: Set<number>;
  limit: number;
  offset: number;
}

export async function listUsers(db: DbOrTx, query: UserQuery): Promise<UserRow[]> {
  if (query.within && query.within.size === 0) return [];
  const conditions: SQL[] = [];
  if (query.role) conditions.push(eq(users.role, query.role));
  if (query.isActive !== undefined) conditions.push(eq(users.isActive, query.isActive));
  if (query.search) {
    const pattern = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(ilike(users.name, pattern), ilike(users.email, pattern))!);
  }
  if (query.within) conditions.push(anyOf(users.id, [...query.within]));
  return db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.name), asc(users.id))
    .limit(query.limit)
    .offset(query.offset);
}

export async function externalIdsByUserIds(db: DbOrTx, userIds: readonly number[]) {
  return db
    .select({ userId: userExternalIds.userId, provider: userExternalIds.provider, externalId: userExternalIds.externalId })
    .from(userExternalIds)
    .where(anyOf(userExternalIds.userId, userIds))
    .orderBy(asc(userExternalIds.provider));
}

export async function teamIdsByUserIds(db: DbOrTx, userIds: readonly number[]) {
  return db
    .select({ userId: teamMembers.userId, teamId: teamMembers.teamId })
    .from(teamMembers)
    .where(anyOf(teamMembers.userId, userIds));
}

export async function insertUser(tx: DbOrTx, values: { name: string; email: string; role: UserRole }): Promise<UserRow> {
  const [user] = await tx.insert(users).values(values).returning();
  return user!;
}

/** Inserts the user unless one has the e-mail already; undefined then. */
export async function insertUserUnlessEmailTaken(
  tx: DbOrTx,
  values: { name: string; email: string; role: UserRole },
): Promise<UserRow | undefined> {
  const [created] = await tx.insert(users).values(values).onConflictDoNothing().returning();
  return created;
}

/** The user with exactly this (normalised) e-mail. */
export async function userWithEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email));
  return row;
}

export async function updateUser(
  tx: DbOrTx,
  id: number,
  changes: { name?: string; role?: UserRole; isActive?: boolean; updatedAt: Date },
): Promise<UserRow> {
  const [after] = await tx.update(users).set(changes).where(eq(users.id, id)).returning();
  return after!;
}

/** The other user who has this account at the provider, if any. */
export async function otherHolderOfExternalId(
  db: DbOrTx,
  key: { userId: number; provider: string; externalId: string },
): Promise<number | undefined> {
  const [taken] = await db
    .select({ userId: userExternalIds.userId })
    .from(userExternalIds)
    .where(
      and(
        eq(userExternalIds.provider, key.provider),
        eq(userExternalIds.externalId, key.externalId),
        ne(userExternalIds.userId, key.userId),
      ),
    );
  return taken?.userId;
}

/** The user's account at the provider, if any. */
export async function externalIdOf(db: DbOrTx, userId: number, provider: string): Promise<string | undefined> {
  const [previous] = await db
    .select({ externalId: userExternalIds.externalId })
    .from(userExternalIds)
    .where(and(eq(userExternalIds.userId, userId), eq(userExternalIds.provider, provider)));
  return previous?.externalId;
}

export async function upsertExternalId(db: DbOrTx, key: { userId: number; provider: string; externalId: string }): Promise<void> {
  await db
    .insert(userExternalIds)
    .values(key)
    .onConflictDoUpdate({
      target: [userExternalIds.userId, userExternalIds.provider],
      set: { externalId: key.externalId, updatedAt: new Date() },
    });
}

/** Whether each of these users is active; an unknown id is absent. */
export function activeFlagsOf(db: DbOrTx, ids: readonly number[]): Promise<Array<{ id: number; isActive: boolean }>> {
  return db.select({ id: users.id, isActive: users.isActive }).from(users).where(anyOf(users.id, ids));
}
