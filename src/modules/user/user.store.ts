import { and, asc, eq, ilike, or, type SQL } from "drizzle-orm";
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
