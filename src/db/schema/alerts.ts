import { sql } from "drizzle-orm";
import {
  boolean,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from "drizzle-orm/pg-core";
import { alertKind, alertStatus, deliveryStatus } from "./enums.js";
import { kpiDefinitions, userKpis } from "./kpis.js";
import { teams } from "./teams.js";
import { users } from "./users.js";

/**
 * What makes an alert: an achievement below `threshold` % for `periods` consecutive completed
 * periods, no measurement for a period that ended `graceDays` days ago or more, or an overall score
 * more than `threshold` points below the previous snapshot. Scoped to a category or one definition, or to all.
 */
export const alertRules = pgTable("alert_rules", {
  id: serial("id").primaryKey(),
  name: varchar("name", { length: 255 }).notNull(),
  kind: alertKind("kind").notNull(),
  threshold: numeric("threshold", { precision: 7, scale: 2, mode: "number" }),
  periods: integer("periods"),
  graceDays: integer("grace_days"),
  category: varchar("category", { length: 100 }),
  kpiDefinitionId: integer("kpi_definition_id").references(() => kpiDefinitions.id, { onDelete: "cascade" }),
  isActive: boolean("is_active").notNull().default(true),
  createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const alerts = pgTable(
  "alerts",
  {
    id: serial("id").primaryKey(),
    ruleId: integer("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // Null for alerts about a user's overall score.
    userKpiId: integer("user_kpi_id").references(() => userKpis.id, { onDelete: "cascade" }),
    status: alertStatus("status").notNull().default("open"),
    // The first period (or the snapshot date) the condition was seen in.
    periodStart: date("period_start", { mode: "string" }).notNull(),
    message: text("message").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    raisedAt: timestamp("raised_at", { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    acknowledgedBy: integer("acknowledged_by").references(() => users.id, { onDelete: "set null" }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [
    // One alert per streak: while one is open or acknowledged, the same condition raises nothing new.
    uniqueIndex("alerts_active_unique")
      .on(t.ruleId, t.userId, sql`coalesce(${t.userKpiId}, 0)`)
      .where(sql`status <> 'resolved'`),
    index("alerts_user_status_idx").on(t.userId, t.status),
    index("alerts_raised_idx").on(t.raisedAt.desc()),
  ],
);

/** Where a team's alerts go besides its manager's e-mail: a webhook and more addresses. */
export const teamNotificationSettings = pgTable("team_notification_settings", {
  teamId: integer("team_id")
    .primaryKey()
    .references(() => teams.id, { onDelete: "cascade" }),
  webhookUrl: text("webhook_url"),
  // Signs the webhook's body (X-Hub-Signature-256) so that the receiver can check it came from us.
  webhookSecret: text("webhook_secret"),
  emails: text("emails")
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** One notification of one alert to one target, retried by its job until sent or out of attempts. */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: serial("id").primaryKey(),
    alertId: integer("alert_id")
      .notNull()
      .references(() => alerts.id, { onDelete: "cascade" }),
    channel: varchar("channel", { length: 20 }).notNull(),
    target: text("target").notNull(),
    // The team whose settings named a webhook: its secret signs the body.
    teamId: integer("team_id").references(() => teams.id, { onDelete: "set null" }),
    status: deliveryStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("alert_deliveries_target_unique").on(t.alertId, t.channel, t.target)],
);

export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type TeamNotificationSettingsRow = typeof teamNotificationSettings.$inferSelect;
export type AlertDeliveryRow = typeof alertDeliveries.$inferSelect;
