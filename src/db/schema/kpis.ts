import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  serial,
  text,
  timestamp,
  unique,
  uniqueIndex,
  varchar,
} from "drizzle-orm/pg-core";
import { aggregationPeriod, calculationType, targetType } from "./enums.js";
import { users } from "./users.js";

export const kpiDefinitions = pgTable(
  "kpi_definitions",
  {
    id: serial("id").primaryKey(),
    name: varchar("name", { length: 255 }).notNull(),
    description: text("description"),
    category: varchar("category", { length: 100 }),
    calculationType: calculationType("calculation_type").notNull(),
    dataSource: jsonb("data_source").$type<Record<string, unknown>>(),
    unit: varchar("unit", { length: 50 }),
    // Values add up over a period (counts, revenue): forecasts scale the period-to-date value.
    additive: boolean("additive").notNull().default(false),
    aggregationPeriod: aggregationPeriod("aggregation_period").notNull().default("monthly"),
    targetType: targetType("target_type").notNull().default("higher_better"),
    isActive: boolean("is_active").notNull().default(true),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Archived definitions keep their name so that a replacement can take it over.
    uniqueIndex("kpi_definitions_active_name_unique")
      .on(sql`lower(${t.name})`)
      .where(sql`${t.isActive}`),
    index("kpi_definitions_category_idx").on(t.category),
  ],
);

export const userKpis = pgTable(
  "user_kpis",
  {
    id: serial("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kpiDefinitionId: integer("kpi_definition_id")
      .notNull()
      .references(() => kpiDefinitions.id, { onDelete: "cascade" }),
    targetValue: numeric("target_value", { precision: 10, scale: 2, mode: "number" }).notNull(),
    weight: numeric("weight", { precision: 5, scale: 2, mode: "number" }).notNull(),
    startDate: date("start_date", { mode: "string" }).notNull(),
    endDate: date("end_date", { mode: "string" }),
    assignedBy: integer("assigned_by").references(() => users.id, { onDelete: "set null" }),
    assignedAt: timestamp("assigned_at", { withTimezone: true }).notNull().defaultNow(),
    isActive: boolean("is_active").notNull().default(true),
  },
  (t) => [
    unique("user_kpis_user_definition_start_unique").on(t.userId, t.kpiDefinitionId, t.startDate),
    index("user_kpis_definition_idx").on(t.kpiDefinitionId),
    check("user_kpis_weight_range", sql`${t.weight} >= 0 AND ${t.weight} <= 100`),
    check("user_kpis_dates_ordered", sql`${t.endDate} IS NULL OR ${t.endDate} >= ${t.startDate}`),
  ],
);

export type KpiDefinitionRow = typeof kpiDefinitions.$inferSelect;
export type UserKpiRow = typeof userKpis.$inferSelect;
