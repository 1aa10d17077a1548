import DataLoader from "dataloader";
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { alertRules, alerts, teamMembers, type AlertRow, type AlertRuleRow } from "../../db/schema/index.js";

export function createAlertLoaders(db: Db) {
  return {
    /** An alert about a member of the team (as the team is now), or null: what an alertRaised event may show. */
    alertOfTeam: new DataLoader<{ alertId: number; teamId: number }, AlertRow | null, string>(
      async (keys) => {
        const rows = await db
          .select({ alert: alerts, teamId: teamMembers.teamId })
          .from(alerts)
          .innerJoin(
            teamMembers,
            and(
              eq(teamMembers.userId, alerts.userId),
              inArray(
                teamMembers.teamId,
                keys.map((key) => key.teamId),
              ),
            ),
          )
          .where(
            inArray(
              alerts.id,
              keys.map((key) => key.alertId),
            ),
          );
        return keys.map((key) => rows.find((row) => row.alert.id === key.alertId && row.teamId === key.teamId)?.alert ?? null);
      },
      { cacheKeyFn: (key) => `${key.alertId}|${key.teamId}` },
    ),
    alertRuleById: new DataLoader<number, AlertRuleRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(alertRules)
        .where(inArray(alertRules.id, [...ids]));
      return ids.map((id) => rows.find((row) => row.id === id) ?? null);
    }),
  };
}
