import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import {
  alertRules,
  alerts,
  teamMembers,
  teamNotificationSettings,
  type AlertRow,
  type AlertRuleRow,
  type AlertStatusValue,
  type TeamNotificationSettingsRow,
} from "../../db/schema/index.js";

type NewAlertRule = typeof alertRules.$inferInsert;

export function listAlertRules(db: DbOrTx): Promise<AlertRuleRow[]> {
  return db.select().from(alertRules).orderBy(alertRules.id);
}

export async function insertAlertRule(tx: DbOrTx, values: NewAlertRule): Promise<AlertRuleRow> {
  const [rule] = await tx.insert(alertRules).values(values).returning();
  return rule!;
}

/** The rule, locked until the transaction ends so that two updates apply one after the other. */
export async function lockAlertRule(tx: DbOrTx, id: number): Promise<AlertRuleRow | undefined> {
  const [rule] = await tx.select().from(alertRules).where(eq(alertRules.id, id)).for("update");
  return rule;
}

export async function updateAlertRule(tx: DbOrTx, id: number, changes: Partial<NewAlertRule>): Promise<AlertRuleRow> {
  const [rule] = await tx.update(alertRules).set(changes).where(eq(alertRules.id, id)).returning();
  return rule!;
}

/** Newest first: the alerts about the members of `teamIds` (every alert when undefined), with `status` if given. */
export function listAlerts(
  db: DbOrTx,
  query: { teamIds?: number[]; status?: AlertStatusValue; limit: number },
): Promise<AlertRow[]> {
  const conditions: SQL[] = [];
  if (query.teamIds) {
    conditions.push(
      inArray(
        alerts.userId,
        db.select({ id: teamMembers.userId }).from(teamMembers).where(inArray(teamMembers.teamId, query.teamIds)),
      ),
    );
  }
  if (query.status) conditions.push(eq(alerts.status, query.status));
  return db
    .select()
    .from(alerts)
    .where(and(...conditions))
    .orderBy(desc(alerts.raisedAt), desc(alerts.id))
    .limit(query.limit);
}

export async function findAlert(db: DbOrTx, id: number): Promise<AlertRow | undefined> {
  const [found] = await db.select().from(alerts).where(eq(alerts.id, id));
  return found;
}

/** Acknowledges the alert if it is still open; undefined when it is not (resolved meanwhile). */
export async function acknowledgeOpenAlert(db: DbOrTx, id: number, actorId: number): Promise<AlertRow | undefined> {
  const [after] = await db
    .update(alerts)
    .set({ status: "acknowledged", acknowledgedAt: new Date(), acknowledgedBy: actorId })
    .where(and(eq(alerts.id, id), eq(alerts.status, "open")))
    .returning();
  return after;
}

export async function findTeamNotifications(db: DbOrTx, teamId: number): Promise<TeamNotificationSettingsRow | undefined> {
  const [row] = await db.select().from(teamNotificationSettings).where(eq(teamNotificationSettings.teamId, teamId));
  return row;
}

export async function upsertTeamNotifications(
  db: DbOrTx,
  teamId: number,
  values: Partial<TeamNotificationSettingsRow>,
): Promise<TeamNotificationSettingsRow> {
  const [row] = await db
    .insert(teamNotificationSettings)
    .values({ teamId, ...values })
    .onConflictDoUpdate({ target: teamNotificationSettings.teamId, set: { ...values, updatedAt: sql`now()` } })
    .returning();
  return row!;
}
