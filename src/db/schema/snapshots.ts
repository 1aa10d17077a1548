import { date, integer, jsonb, numeric, pgTable, serial, timestamp, unique } from "drizzle-orm/pg-core";
import { users } from "./users.js";

export const kpiSnapshots = pgTable(
  "kpi_snapshots",
  {
    id: serial("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    snapshotDate: date("snapshot_date", { mode: "string" }).notNull(),
    overallScore: numeric("overall_score", { precision: 5, scale: 2, mode: "number" }),
    kpiScores: jsonb("kpi_scores").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("kpi_snapshots_user_date_unique").on(t.userId, t.snapshotDate)],
);

export type KpiSnapshotRow = typeof kpiSnapshots.$inferSelect;
