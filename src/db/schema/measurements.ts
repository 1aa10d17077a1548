import { sql } from "drizzle-orm";
import {
  bigserial,
  check,
  date,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { userKpis } from "./kpis.js";
import { users } from "./users.js";

/**
 * Partitioned by month on period_start (see the migration and db/partitions.ts): it is the one table
 * that grows without bound. PostgreSQL requires the partition key in every unique constraint, hence
 * the composite primary key.
 */
export const kpiMeasurements = pgTable(
  "kpi_measurements",
  {
    id: bigserial("id", { mode: "number" }).notNull(),
    userKpiId: integer("user_kpi_id")
      .notNull()
      .references(() => userKpis.id, { onDelete: "cascade" }),
    periodStart: date("period_start", { mode: "string" }).notNull(),
    periodEnd: date("period_end", { mode: "string" }).notNull(),
    actualValue: numeric("actual_value", { precision: 10, scale: 2, mode: "number" }),
    targetValue: numeric("target_value", { precision: 10, scale: 2, mode: "number" }),
    achievementPercentage: numeric("achievement_percentage", { precision: 5, scale: 2, mode: "number" }),
    calculationMetadata: jsonb("calculation_metadata").$type<Record<string, unknown>>(),
    calculatedAt: timestamp("calculated_at", { withTimezone: true }).notNull().defaultNow(),
    calculatedBy: integer("calculated_by").references(() => users.id, { onDelete: "set null" }),
    notes: text("notes"),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.periodStart] }),
    // The design's idx_kpi_measurements_user_period, made unique: it is both the lookup index and
    // UNIQUE(user_kpi_id, period_start, period_end), so one index serves reads and upserts.
    uniqueIndex("idx_kpi_measurements_user_period").on(t.userKpiId, t.periodStart, t.periodEnd),
    check("kpi_measurements_period_ordered", sql`${t.periodEnd} > ${t.periodStart}`),
  ],
);

export type KpiMeasurementRow = typeof kpiMeasurements.$inferSelect;
