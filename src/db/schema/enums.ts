import { pgEnum } from "drizzle-orm/pg-core";

export const userRole = pgEnum("user_role", ["user", "manager", "admin"]);
export const calculationType = pgEnum("calculation_type", ["manual", "query", "api", "formula"]);
export const aggregationPeriod = pgEnum("aggregation_period", ["daily", "weekly", "monthly", "quarterly"]);
export const targetType = pgEnum("target_type", ["higher_better", "lower_better", "exact"]);
export const runStatus = pgEnum("run_status", ["queued", "running", "succeeded", "partial", "failed"]);
export const batchStatus = pgEnum("batch_status", ["queued", "running", "done", "failed"]);
export const alertKind = pgEnum("alert_kind", ["below_target", "missing_measurement", "score_drop"]);
export const alertStatus = pgEnum("alert_status", ["open", "acknowledged", "resolved"]);
export const deliveryStatus = pgEnum("delivery_status", ["pending", "sent", "failed"]);

export type UserRole = (typeof userRole.enumValues)[number];
export type CalculationTypeValue = (typeof calculationType.enumValues)[number];
export type AggregationPeriodValue = (typeof aggregationPeriod.enumValues)[number];
export type TargetTypeValue = (typeof targetType.enumValues)[number];
export type RunStatusValue = (typeof runStatus.enumValues)[number];
export type BatchStatusValue = (typeof batchStatus.enumValues)[number];
export type AlertKindValue = (typeof alertKind.enumValues)[number];
export type AlertStatusValue = (typeof alertStatus.enumValues)[number];
export type DeliveryStatusValue = (typeof deliveryStatus.enumValues)[number];
