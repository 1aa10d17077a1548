import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { teamMembers, teams, users } from "../../db/schema/index.js";

const ROLE_ORDER = sql`CASE ${users.role} WHEN 'admin' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END`;

/** Up to `limit` active users, admins first, then managers, then members, each by name. */
export function activeUsersByRole(db: DbOrTx, limit: number) {
  return db
    .select({ id: users.id, name: users.name, email: users.email, role: users.role })
    .from(users)
    .where(eq(users.isActive, true))
    .orderBy(ROLE_ORDER, asc(users.name))
    .limit(limit);
}

/** The names of the teams each of these users belongs to, one row per membership. */
export function memberTeamNames(db: DbOrTx, userIds: number[]) {
  return db
    .select({ userId: teamMembers.userId, name: teams.name })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(inArray(teamMembers.userId, userIds));
}

/** The names of the teams each of these users manages. */
export function managedTeamNames(db: DbOrTx, userIds: number[]) {
  return db.select({ userId: teams.managerId, name: teams.name }).from(teams).where(inArray(teams.managerId, userIds));
}

/** The user, if active: what a token is signed for. */
export async function activeUser(db: DbOrTx, id: number): Promise<{ id: number; email: string } | undefined> {
  const [user] = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(and(eq(users.id, id), eq(users.isActive, true)));
  return user;
}
