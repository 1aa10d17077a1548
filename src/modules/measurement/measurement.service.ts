import type { Db } from "../../db/client.js";
import { ensureMeasurementPartitions } from "../../db/partitions.js";
import type { KpiMeasurementRow } from "../../db/schema/index.js";
import { badInput, notFound } from "../../lib/errors.js";
import { achievementPercentage } from "../../scoring/achievement.js";
import { assignmentCovers, isExactPeriod, periodContaining } from "../../scoring/periods.js";
import { findUserKpiWithDefinition } from "../assignment/assignment.store.js";
import { appendAudit } from "../audit/audit.store.js";
import { lockMeasurement, upsertMeasurement, type Measurement } from "./measurement.store.js";
import type { StoredMeasurement } from "../run/dependents.store.js";

export interface ManualValue {
  actualValue: number;
  periodStart: string;
  periodEnd: string;
  notes?: string | null;
}

// What actual_value numeric(10,2) holds.
const MAX_VALUE = 99_999_999.99;

export function toMeasurement(row: KpiMeasurementRow): Measurement {
  return {
    id: String(row.id),
    userKpiId: row.userKpiId,
    periodStart: row.periodStart,
    periodEnd: row.periodEnd,
    actualValue: row.actualValue,
    targetValue: row.targetValue,
    achievementPercentage: row.achievementPercentage,
    calculatedAt: row.calculatedAt,
    calculatedById: row.calculatedBy,
    notes: row.notes,
    calculationMetadata: row.calculationMetadata,
  };
}

const audited = (row: KpiMeasurementRow) => ({
  userKpiId: row.userKpiId,
  periodStart: row.periodStart,
  periodEnd: row.periodEnd,
  actualValue: row.actualValue,
  targetValue: row.targetValue,
  achievementPercentage: row.achievementPercentage,
  notes: row.notes,
});

export class MeasurementService {
  constructor(
    private readonly db: Db,
    private readonly today: () => string,
    /** Told after each entry is committed (formula KPIs over it recalculate, subscribers hear of it). */
    private readonly onStored: (stored: StoredMeasurement) => Promise<void> = async () => undefined,
  ) {}

  /**
   * Records a manager's value for one period of a MANUAL KPI. Recording the same period again
   * replaces the value; the audit log keeps every version. The measurement keeps the target of the
   * moment and its achievement, so later target changes do not rewrite history.
   */
  async recordManual(actorId: number, userKpiId: number, value: ManualValue): Promise<Measurement> {
    if (!Number.isFinite(value.actualValue) || Math.abs(value.actualValue) > MAX_VALUE) {
      throw badInput("actualValue", `must be a number between -${MAX_VALUE} and ${MAX_VALUE}`);
    }
    const found = await findUserKpiWithDefinition(this.db, userKpiId);
    if (!found) throw notFound("UserKpi", userKpiId);
    const { assignment, definition } = found;

    if (definition.calculationType !== "manual") {
      throw badInput(
        "userKpiId",
        `KPI "${definition.name}" is calculated from its ${definition.calculationType} source, not recorded by hand`,
      );
    }
    if (!assignment.isActive) throw badInput("userKpiId", `UserKpi ${userKpiId} is deactivated`);
    const range = (definition.dataSource as { allowed_range?: { min: number; max: number } } | null)?.allowed_range;
    if (range && (value.actualValue < range.min || value.actualValue > range.max)) {
      throw badInput("actualValue", `must be between ${range.min} and ${range.max} for "${definition.name}"`);
    }
    if (!isExactPeriod(definition.aggregationPeriod, value.periodStart, value.periodEnd)) {
      const example = periodContaining(definition.aggregationPeriod, value.periodStart);
      throw badInput(
        "periodStart",
        `must be exactly one ${definition.aggregationPeriod} period, e.g. ${example.start} to ${example.end} (the end is the first day after it)`,
      );
    }
    if (!assignmentCovers(assignment, { start: value.periodStart, end: value.periodEnd })) {
      throw badInput(
        "periodStart",
        `the period is outside the assignment (${assignment.startDate} to ${assignment.endDate ?? "ongoing"})`,
      );
    }
    if (value.periodStart > this.today()) throw badInput("periodStart", "the period has not started yet");

    await ensureMeasurementPartitions(this.db, value.periodStart, value.periodStart);
    const achievement = achievementPercentage(definition.targetType, value.actualValue, assignment.targetValue);
    const notes = value.notes?.trim() || null;

    const recorded = await this.db.transaction(async (tx) => {
      const key = { userKpiId, periodStart: value.periodStart, periodEnd: value.periodEnd };
      const before = await lockMeasurement(tx, key);
      const fields = {
        actualValue: value.actualValue,
        targetValue: assignment.targetValue,
        achievementPercentage: achievement,
        calculatedAt: new Date(),
        calculatedBy: actorId,
        notes,
        calculationMetadata: { source: "manual" },
      };
      const after = await upsertMeasurement(tx, key, fields);
      await appendAudit(tx, {
        actorId,
        action: before ? "measurement.replace" : "measurement.record",
        entityType: "user_kpi",
        entityId: userKpiId,
        before: before ? audited(before) : null,
        after: audited(after),
      });
      return toMeasurement(after);
    });
    await this.onStored({
      userId: assignment.userId,
      userKpiId,
      kpiDefinitionId: definition.id,
      periodStart: value.periodStart,
      periodEnd: value.periodEnd,
      actorId,
    });
    return recorded;
  }
}
