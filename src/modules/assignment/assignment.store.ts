import { and, eq, inArray, ne, sql, type SQL } from "drizzle-orm";
import { anyOf } from "../../db/any-of.js";
import type { DbOrTx } from "../../db/client.js";
import { activeAssignmentAsOf } from "../../db/conditions.js";
import { kpiDefinitions, userKpis, type KpiDefinitionRow, type UserKpiRow } from "../../db/schema/index.js";

/**
 * An assignment is active while its flag is on, its definition is not archived and it has not
 * ended by `today`. Future assignments count as active: they are assigned, just not yet measured
 * (db/conditions.ts: assignmentActive and assignedAsOf).
 */
export const activeAssignment = (today: string): SQL => activeAssignmentAsOf(today);

export async function findUserKpi(db: DbOrTx, id: number): Promise<UserKpiRow | undefined> {
  const [row] = await db.select().from(userKpis).where(eq(userKpis.id, id));
  return row;
}

/** An assignment with its definition: what recording or calculating a value of it needs. */
export async function findUserKpiWithDefinition(
  db: DbOrTx,
  id: number,
): Promise<{ assignment: UserKpiRow; definition: KpiDefinitionRow } | undefined> {
  const [found] = await db
    .select({ assignment: userKpis, definition: kpiDefinitions })
    .from(userKpis)
    .innerJoin(kpiDefinitions, eq(kpiDefinitions.id, userKpis.kpiDefinitionId))
    .where(eq(userKpis.id, id));
  return found;
}

/** The user of each of these assignments; an unknown id is simply absent. */
export function userKpiOwners(db: DbOrTx, ids: readonly number[]): Promise<Array<{ id: number; userId: number }>> {
  return db.select({ id: userKpis.id, userId: userKpis.userId }).from(userKpis).where(inArray(userKpis.id, [...ids]));
}

export function userKpisByIds(db: DbOrTx, ids: readonly number[]): Promise<UserKpiRow[]> {
  return db.select().from(userKpis).where(anyOf(userKpis.id, ids));
}

/** The assignments of the given users, by definition name then start date. */
export async function userKpisOfUsers(
  db: DbOrTx,
  userIds: readonly number[],
  filter: { activeOn?: string },
): Promise<UserKpiRow[]> {
  const rows = await db
    .select({ assignment: userKpis })
    .from(userKpis)
    .innerJoin(kpiDefinitions, eq(kpiDefinitions.id, userKpis.kpiDefinitionId))
    .where(and(anyOf(userKpis.userId, userIds), filter.activeOn ? activeAssignment(filter.activeOn) : undefined))
    .orderBy(userKpis.userId, kpiDefinitions.name, userKpis.startDate, userKpis.id);
  return rows.map((row) => row.assignment);
}

/**
 * Active assignments of the same definition to the same user whose dates overlap [start, end]
 * (end inclusive, null = open); `excludeId` leaves out the assignment being changed.
 */
export function overlappingAssignments(
  db: DbOrTx,
  where: { userId: number; kpiDefinitionId: number; start: string; end: string | null; excludeId?: number },
): Promise<UserKpiRow[]> {
  return db
    .select()
    .from(userKpis)
    .where(
      and(
        eq(userKpis.userId, where.userId),
        eq(userKpis.kpiDefinitionId, where.kpiDefinitionId),
        eq(userKpis.isActive, true),
        where.excludeId === undefined ? undefined : ne(userKpis.id, where.excludeId),
        sql`daterange(${userKpis.startDate}, ${userKpis.endDate}, '[]') && daterange(${where.start}::date, ${where.end}::date, '[]')`,
      ),
    );
}
