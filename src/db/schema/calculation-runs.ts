import { sql } from "drizzle-orm";
import { date, index, integer, jsonb, pgTable, primaryKey, serial, timestamp, varchar } from "drizzle-orm/pg-core";
import { batchStatus, runStatus } from "./enums.js";
import { users } from "./users.js";

/** Which assignments a run calculates; absent fields do not narrow it. */
export interface RunSelection {
  userKpiIds?: number[];
  kpiDefinitionId?: number;
  teamId?: number;
  /** A manager's run covers only the members of the teams they manage. */
  userIds?: number[];
  /** Scheduled runs: only the definitions of this aggregation period. */
  aggregationPeriod?: string;
}

/** One assignment that did not give a value in a run. */
export interface RunIssue {
  userId: number;
  userKpiId: number;
  kpiDefinitionId: number;
  outcome: "failed" | "undefined" | "skipped";
  message: string;
}

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
    undefinedCount: integer("undefined_count").notNull().default(0),
    errors: jsonb("errors").$type<RunIssue[]>(),
    selection: jsonb("selection").$type<RunSelection>().notNull().default({}),
    // The date whose period each definition calculates; null: each one's latest completed period as of `today`.
    periodContaining: date("period_containing", { mode: "string" }),
    // "Today" in KPI_TIMEZONE when the run was requested, so that a retried plan picks the same periods.
    today: date("today", { mode: "string" }).notNull().defaultNow(),
    batches: integer("batches").notNull().default(0),
    requestedBy: integer("requested_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("calculation_runs_created_idx").on(t.createdAt.desc()),
    // The health summary: the latest run of each schedule, and the runs that finished in the last day.
    index("calculation_runs_trigger_created_idx").on(t.trigger, t.createdAt.desc()),
    index("calculation_runs_finished_idx").on(t.finishedAt),
    index("calculation_runs_unfinished_idx")
      .on(t.createdAt)
      .where(sql`status IN ('queued', 'running')`),
  ],
);

/**
 * A run's unit of work and of retry: the assignments of a chunk of users, all their KPIs, so that
 * a formula over another KPI finds that KPI calculated earlier in the same batch.
 */
export const calculationBatches = pgTable(
  "calculation_batches",
  {
    runId: integer("run_id")
      .notNull()
      .references(() => calculationRuns.id, { onDelete: "cascade" }),
    batchNo: integer("batch_no").notNull(),
    userKpiIds: integer("user_kpi_ids").array().notNull(),
    status: batchStatus("status").notNull().default("queued"),
    // Every start counts: a batch taken over after a crash shows 2.
    attempts: integer("attempts").notNull().default(0),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    succeeded: integer("succeeded").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    undefinedCount: integer("undefined_count").notNull().default(0),
    errors: jsonb("errors").$type<RunIssue[]>().notNull().default([]),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.runId, t.batchNo] })],
);

export type CalculationRunRow = typeof calculationRuns.$inferSelect;
export type CalculationBatchRow = typeof calculationBatches.$inferSelect;
