import type { Db } from "../../db/client.js";
import type { StoredMeasurement } from "../run/dependents.store.js";
import { ensureMeasurementPartitions } from "../../db/partitions.js";
import type { AggregationPeriodValue, KpiDefinitionRow } from "../../db/schema/index.js";
import type { Calculator } from "../../engine/calculator/calculator.js";
import { CalculationError, type SourceResult } from "../../engine/outcome.js";
import { AppError, badInput, notFound } from "../../lib/errors.js";
import { assignmentCovers, isCalendarDate, latestCompletedPeriod, periodContaining, type Period } from "../../scoring/periods.js";
import { validateDataSource } from "../definition/data-source.validation.js";
import type { NewDefinition } from "../definition/definition.service.js";
import { findUserKpiWithDefinition } from "../assignment/assignment.store.js";
import { toMeasurement } from "../measurement/measurement.service.js";
import { upsertMeasurement, type Measurement } from "../measurement/measurement.store.js";
import { findUser } from "../user/user.store.js";
import { externalIdsOf } from "./calculation.store.js";
import { calculatedMeasurement } from "../../engine/batch/measurement-writer.js";

/** What a preview gives (GraphQL CalculationOutcome). */
export type CalculationOutcomeValue = "value" | "undefined" | "skipped" | "failed";

/** What a definition would give for a user and period, without storing anything (GraphQL CalculationPreview). */
export interface CalculationPreview {
  outcome: CalculationOutcomeValue;
  value: number | null;
  reason: string | null;
  periodStart: string;
  periodEnd: string;
  metadata: Record<string, unknown>;
}

/** Runs the engine for one assignment or one unsaved definition, and stores what it gives. */
export class CalculationService {
  constructor(
    private readonly db: Db,
    private readonly calculator: Calculator,
    private readonly today: () => string,
    /** Told after each stored value (formula KPIs over it recalculate, subscribers hear of it). */
    private readonly onStored: (stored: StoredMeasurement) => Promise<void> = async () => undefined,
  ) {}

  /**
   * Calculates one assignment for the period containing `date` (the latest completed period when
   * absent) and upserts the measurement: recalculating a period replaces its value. An "undefined"
   * outcome stores a measurement without a value and with the reason; "skipped" and failures store
   * nothing and answer CALCULATION_FAILED.
   */
  async calculateUserKpi(userKpiId: number, date?: string | null): Promise<Measurement> {
    const found = await findUserKpiWithDefinition(this.db, userKpiId);
    if (!found) throw notFound("UserKpi", userKpiId);
    const { assignment, definition } = found;
    if (definition.calculationType === "manual") {
      throw badInput("userKpiId", `KPI "${definition.name}" is MANUAL: its values are recorded with recordMeasurement`);
    }
    const period = this.period(definition.aggregationPeriod, date);
    if (!assignmentCovers(assignment, period)) {
      throw badInput("periodContaining", `the period ${period.start} to ${period.end} is outside the assignment`);
    }

    const started = performance.now();
    const result = await this.run(definition, assignment.userId, period);
    if (result.kind === "skipped") {
      throw new AppError("CALCULATION_FAILED", `skipped: ${result.reason}`, { outcome: "skipped" });
    }
    const measurement = calculatedMeasurement(
      result,
      { userKpiId, targetValue: assignment.targetValue, targetType: definition.targetType },
      period,
      { calculatedInMs: Math.round((performance.now() - started) * 10) / 10 },
    );
    await ensureMeasurementPartitions(this.db, period.start, period.start);
    const fields = {
      actualValue: measurement.actualValue,
      targetValue: measurement.targetValue,
      achievementPercentage: measurement.achievementPercentage,
      calculationMetadata: measurement.calculationMetadata,
      calculatedAt: new Date(),
      calculatedBy: null,
    };
    const row = await upsertMeasurement(this.db, { userKpiId, periodStart: period.start, periodEnd: period.end }, fields);
    await this.onStored({
      userId: assignment.userId,
      userKpiId,
      kpiDefinitionId: definition.id,
      periodStart: period.start,
      periodEnd: period.end,
      actorId: null,
    });
    return toMeasurement(row);
  }

  /** Runs a definition that is not saved yet for a user and period; stores nothing. */
  async preview(input: NewDefinition, userId: number, date?: string | null): Promise<CalculationPreview> {
    if (input.calculationType === "manual")
      throw badInput("input.calculationType", "MANUAL definitions have nothing to calculate");
    const dataSource = validateDataSource(input.calculationType, input.dataSource, "input.dataSource");
    if (!(await findUser(this.db, userId))) throw notFound("User", userId);
    const period = this.period(input.aggregationPeriod, date);
    const base = { periodStart: period.start, periodEnd: period.end };
    try {
      const result = await this.run(
        { id: 0, calculationType: input.calculationType, dataSource, updatedAt: new Date() },
        userId,
        period,
      );
      return result.kind === "value"
        ? { ...base, outcome: "value", value: result.value, reason: null, metadata: result.metadata }
        : {
            ...base,
            outcome: result.kind === "skipped" ? "skipped" : "undefined",
            value: null,
            reason: result.reason,
            metadata: result.metadata,
          };
    } catch (error) {
      if (error instanceof AppError && error.code === "CALCULATION_FAILED") {
        return { ...base, outcome: "failed", value: null, reason: error.message, metadata: error.details ?? {} };
      }
      throw error;
    }
  }

  private period(aggregation: AggregationPeriodValue, date: string | null | undefined): Period {
    if (date === undefined || date === null) return latestCompletedPeriod(aggregation, this.today());
    if (!isCalendarDate(date)) throw badInput("periodContaining", "must be a date YYYY-MM-DD");
    const period = periodContaining(aggregation, date);
    if (period.start > this.today()) throw badInput("periodContaining", "the period has not started yet");
    return period;
  }

  private async run(
    definition: Pick<KpiDefinitionRow, "id" | "calculationType" | "dataSource" | "updatedAt">,
    userId: number,
    period: Period,
  ): Promise<SourceResult> {
    const externalIds = await externalIdsOf(this.db.$client, userId);
    try {
      return await this.calculator.calculate(definition, { userId, period, externalIds });
    } catch (error) {
      if (error instanceof CalculationError) throw new AppError("CALCULATION_FAILED", error.message, error.details);
      throw error;
    }
  }
}
