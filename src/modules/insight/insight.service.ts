import type { KpiDefinitionRow, UserKpiRow } from "../../db/schema/index.js";
import { changeBetween, samePeriodLastYear, type Change } from "../../scoring/comparison.js";
import { projectLinearly, projectTrend, TREND_PERIODS, type Forecast, type TrendPoint } from "../../scoring/forecast.js";
import { assignmentCovers, periodContaining, shiftPeriod, type Period } from "../../scoring/periods.js";
import { round2 } from "../../scoring/round.js";
import type { Measurement } from "../measurement/measurement.store.js";
import type { TeamTrendRow } from "./insight.store.js";

/**
 * The reads an insight needs. GraphQL answers them from the request's loaders, so that the
 * forecasts and comparisons of a whole dashboard share a handful of statements.
 */
export interface InsightReads {
  definition(id: number): Promise<KpiDefinitionRow | null>;
  /** The assignment's latest measurement, as a list of at most one. */
  latestMeasurement(userKpiId: number): Promise<Measurement[]>;
  measurementAt(userKpiId: number, periodStart: string): Promise<Measurement | null>;
}

/** Where the current period is heading (GraphQL KpiForecast). */
export interface KpiForecastValue extends Forecast {
  periodStart: string;
  periodEnd: string;
}

/** An earlier period and how the compared one differs from it (GraphQL PeriodComparison). */
export interface PeriodComparisonValue extends Change {
  periodStart: string;
  periodEnd: string;
  actualValue: number | null;
  achievementPercentage: number | null;
}

/** The latest measured period against earlier ones (GraphQL KpiComparison). */
export interface KpiComparisonValue {
  periodStart: string;
  periodEnd: string;
  actualValue: number | null;
  achievementPercentage: number | null;
  previous: PeriodComparisonValue[];
  samePeriodLastYear: PeriodComparisonValue;
}

/** How many periods a team trend shows, and of which length. */
export interface TrendWindow {
  aggregation: KpiDefinitionRow["aggregationPeriod"];
  periods: number;
}

/** The last `periods` periods up to the one containing today, oldest first. */
export function trendPeriods(window: TrendWindow, today: string): Period[] {
  const current = periodContaining(window.aggregation, today);
  return Array.from({ length: window.periods }, (_, i) => shiftPeriod(window.aggregation, current, i - window.periods + 1));
}

/** Forecasts, comparisons and team averages: what the dashboards show beside the measured values. */
export class InsightService {
  /**
   * A linear projection of the period-to-date value for additive KPIs, the least-squares trend of
   * the last periods for averages and rates; null when the assignment does not cover the current period.
   */
  async forecast(
    assignment: UserKpiRow,
    when: { today: string; timeZone: string },
    reads: InsightReads,
  ): Promise<KpiForecastValue | null> {
    if (!assignment.isActive) return null;
    // Waiting for the latest measurements too (which comparison and currentMeasurement load anyway)
    // puts this field's measurementAt keys in the same batch as comparison's: one statement, not two.
    const [definition] = await Promise.all([
      reads.definition(assignment.kpiDefinitionId),
      reads.latestMeasurement(assignment.id),
    ]);
    if (!definition) return null;
    const period = periodContaining(definition.aggregationPeriod, when.today);
    if (!assignmentCovers(assignment, period)) return null;
    const target = { targetType: definition.targetType, targetValue: assignment.targetValue };
    let forecast: Forecast;
    if (definition.additive) {
      const toDate = await reads.measurementAt(assignment.id, period.start);
      forecast = projectLinearly(
        target,
        period,
        toDate && { value: toDate.actualValue, calculatedAt: toDate.calculatedAt },
        when.timeZone,
      );
    } else {
      const earlier = Array.from({ length: TREND_PERIODS }, (_, i) =>
        shiftPeriod(definition.aggregationPeriod, period, -(i + 1)),
      );
      const measured = await Promise.all(earlier.map((p) => reads.measurementAt(assignment.id, p.start)));
      const points: TrendPoint[] = measured.flatMap((m, i) =>
        m?.actualValue == null ? [] : [{ offset: -(i + 1), periodStart: m.periodStart, value: m.actualValue }],
      );
      forecast = projectTrend(target, period, points);
    }
    return { ...forecast, periodStart: period.start, periodEnd: period.end };
  }

  /**
   * The latest measured period against the `count` periods before it and the same period last
   * year; null before any measurement.
   */
  async comparison(assignment: UserKpiRow, count: number, reads: InsightReads): Promise<KpiComparisonValue | null> {
    const [[current], definition] = await Promise.all([
      reads.latestMeasurement(assignment.id),
      reads.definition(assignment.kpiDefinitionId),
    ]);
    if (!current || !definition) return null;
    const base: Period = { start: current.periodStart, end: current.periodEnd };
    const earlier = [
      ...Array.from({ length: count }, (_, i) => shiftPeriod(definition.aggregationPeriod, base, -(i + 1))),
      samePeriodLastYear(definition.aggregationPeriod, base),
    ];
    const measured = await Promise.all(earlier.map((period) => reads.measurementAt(assignment.id, period.start)));
    const compared = earlier.map((period, i) => against(current, period, measured[i] ?? null));
    return {
      periodStart: current.periodStart,
      periodEnd: current.periodEnd,
      actualValue: current.actualValue,
      achievementPercentage: current.achievementPercentage,
      previous: compared.slice(0, count),
      samePeriodLastYear: compared[count]!,
    };
  }

  /** A team's average overall score per period of the window, oldest first; periods without rows have no score. */
  teamTrend(rows: readonly TeamTrendRow[], window: TrendWindow, today: string): Array<Omit<TeamTrendRow, "teamId">> {
    const byStart = new Map(rows.map((row) => [row.periodStart, row]));
    // A team without members has no rows: its periods are listed anyway, without a score.
    return trendPeriods(window, today).map(
      (period) =>
        byStart.get(period.start) ?? {
          periodStart: period.start,
          periodEnd: period.end,
          averageOverallScore: null,
          membersWithScore: 0,
        },
    );
  }

  /** The average of the members' overall scores, members without one left out; null when none has one. */
  averageScore(scores: readonly unknown[]): number | null {
    const scored = scores.filter((score): score is number => typeof score === "number");
    return scored.length === 0 ? null : round2(scored.reduce((sum, score) => sum + score, 0) / scored.length);
  }
}

function against(current: Measurement, period: Period, earlier: Measurement | null): PeriodComparisonValue {
  const value = (m: Measurement | null) => ({ value: m?.actualValue ?? null, achievement: m?.achievementPercentage ?? null });
  return {
    periodStart: period.start,
    periodEnd: period.end,
    actualValue: earlier?.actualValue ?? null,
    achievementPercentage: earlier?.achievementPercentage ?? null,
    ...changeBetween(value(current), earlier && value(earlier)),
  };
}
