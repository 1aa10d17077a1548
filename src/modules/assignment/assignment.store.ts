import { and, eq, inArray, ne, sql, type SQL } from "drizzle-orm";
import { anyOf } from "../../db/any-of.js";
import type { DbOrTx } from "../../db/client.js";
import { activeAssignmentAsOf } from "../../db/conditions.js";
import { kpiDefinitions, userKpis, users, type KpiDefinitionRow, type UserKpiRow, type UserRow } from "../../db/schema/index.js";

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
  return db
    .select({ id: userKpis.id, userId: userKpis.userId })
    .from(userKpis)
    .where(inArray(userKpis.id, [...ids]));
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

/**
 * The user, locked until the transaction ends: assignment writes for one user take this lock first,
 * so two concurrent calls cannot both pass the overlap check.
 */
export async function lockAssignee(tx: DbOrTx, userId: number): Promise<UserRow | undefined> {
  const [user] = await tx.select().from(users).where(eq(users.id, userId)).for("update");
  return user;
}

/** The same lock for many users, in id order so that two bulk calls cannot deadlock. */
export async function lockAssignees(tx: DbOrTx, userIds: number[]): Promise<void> {
  await tx.execute(sql`SELECT id FROM users WHERE id = ANY(${sql.param(userIds)}::int[]) ORDER BY id FOR UPDATE`);
}

export async function insertUserKpi(tx: DbOrTx, values: typeof userKpis.$inferInsert): Promise<UserKpiRow> {
  const [row] = await tx.insert(userKpis).values(values).returning();
  return row!;
}

export async function updateUserKpi(tx: DbOrTx, id: number, changes: Partial<typeof userKpis.$inferInsert>): Promise<UserKpiRow> {
  const [after] = await tx.update(userKpis).set(changes).where(eq(userKpis.id, id)).returning();
  return after!;
}

/** The terms of a bulk assignment: one definition, target, weight and dates for every user. */
export interface BulkTerms {
  kpiDefinitionId: number;
  targetValue: number;
  weight: number;
  startDate: string;
  endDate: string | null;
}

/**
 * Users among `userIds` with an active assignment of the definition whose dates overlap the terms'
 * and that does not start the same day (that one is the same assignment, left as it is).
 */
export async function usersWithOverlap(tx: DbOrTx, userIds: number[], terms: BulkTerms): Promise<number[]> {
  const overlapping = await tx.execute<{ user_id: number }>(sql`
        SELECT DISTINCT user_id FROM user_kpis
        WHERE user_id = ANY(${sql.param(userIds)}::int[]) AND kpi_definition_id = ${terms.kpiDefinitionId} AND is_active
          AND start_date <> ${terms.startDate}::date
          AND daterange(start_date, end_date, '[]') && daterange(${terms.startDate}::date, ${terms.endDate}::date, '[]')
        ORDER BY user_id`);
  return overlapping.rows.map((row) => Number(row.user_id));
}

/**
 * Assigns the terms to every user in one statement, each new assignment audited in the same
 * statement; one that exists (same user, definition and start date) is left alone. Returns the ids created.
 */
export async function insertAssignmentsAudited(
  tx: DbOrTx,
  userIds: number[],
  terms: BulkTerms,
  actorId: number,
): Promise<Set<number>> {
  const inserted = await tx.execute<{ id: number }>(sql`
        WITH inserted AS (
          INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date, end_date, assigned_by)
          SELECT u.user_id, ${terms.kpiDefinitionId}, ${terms.targetValue}, ${terms.weight}, ${terms.startDate}::date, ${terms.endDate}::date, ${actorId}
          FROM unnest(${sql.param(userIds)}::int[]) AS u(user_id)
          ON CONFLICT (user_id, kpi_definition_id, start_date) DO NOTHING
          RETURNING *
        ), audited AS (
          INSERT INTO audit_log (actor_id, action, entity_type, entity_id, after)
          SELECT ${actorId}, 'user_kpi.create', 'user_kpi', id::text,
            jsonb_build_object('userId', user_id, 'kpiDefinitionId', kpi_definition_id, 'targetValue', target_value,
              'weight', weight, 'startDate', start_date, 'endDate', end_date, 'isActive', is_active, 'via', 'bulkAssignKpi')
          FROM inserted
        )
        SELECT id FROM inserted`);
  return new Set(inserted.rows.map((row) => Number(row.id)));
}

/** The users' assignments of the definition that start on the day, by user. */
export function assignmentsStartingOn(
  tx: DbOrTx,
  userIds: number[],
  where: { kpiDefinitionId: number; startDate: string },
): Promise<UserKpiRow[]> {
  return tx
    .select()
    .from(userKpis)
    .where(
      and(
        sql`${userKpis.userId} = ANY(${sql.param(userIds)}::int[])`,
        eq(userKpis.kpiDefinitionId, where.kpiDefinitionId),
        eq(userKpis.startDate, where.startDate),
      ),
    )
    .orderBy(userKpis.userId);
}
