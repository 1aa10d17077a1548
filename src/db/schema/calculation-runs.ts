import { date, index, integer, jsonb, pgTable, serial, timestamp, varchar } from "drizzle-orm/pg-core";
import { runStatus } from "./enums.js";
import { users } from "./users.js";

export const calculationRuns = pgTable(
  "calculation_runs",
  {
    id: serial("id").primaryKey(),
    // What started the run: "schedule:monthly", "manual", "webhook", "backfill", …
    trigger: varchar("trigger", { length: 50 }).notNull(),
    periodStart: date("period_start", { mode: "string" }),
    periodEnd: date("period_end", { mode: "string" }),
    status: runStatus("status").notNull().default("queued"),
    succeeded: integer("succeeded").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    errors: jsonb("errors"),
    requestedBy: integer("requested_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("calculation_runs_created_idx").on(t.createdAt.desc())],
);

export type CalculationRunRow = typeof calculationRuns.$inferSelect;
