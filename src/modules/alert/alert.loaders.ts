import DataLoader from "dataloader";
import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { alertRules, type AlertRuleRow } from "../../db/schema/index.js";

export function createAlertLoaders(db: Db) {
  return {
    alertRuleById: new DataLoader<number, AlertRuleRow | null>(async (ids) => {
      const rows = await db
        .select()
        .from(alertRules)
        .where(inArray(alertRules.id, [...ids]));
      return ids.map((id) => rows.find((row) => row.id === id) ?? null);
    }),
  };
}
