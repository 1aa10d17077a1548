import type { TargetTypeValue } from "../db/schema/index.js";
import { achievementPercentage } from "./achievement.js";
import { daysBetween, todayIn, type Period } from "./periods.js";

export type ForecastMethodValue = "linear_projection" | "least_squares_trend" | "last_value";

/** How many completed periods the trend of an average or rate is fitted on. */
export const TREND_PERIODS = 6;

/** The achievement from which a projection counts as on track; an EXACT target allows 5 % either way. */
export const ON_TRACK_ACHIEVEMENT: Record<TargetTypeValue, number> = { higher_better: 100, lower_better: 100, exact: 95 };

export interface TrendPoint {
  /** Periods before the forecast period: -1 is the previous one. */
  offset: number;
  periodStart: string;
  value: number;
}

export interface Forecast {
  method: ForecastMethodValue;
  projectedValue: number | null;
  projectedAchievement: number | null;
  onTrack: boolean | null;
  explanation: string;
  /** Linear projection: the value so far, and how much of the period it covers. */
  valueToDate: number | null;
  elapsedDays: number | null;
  periodDays: number;
  /** Trend: the points fitted, and the line (value = intercept + slope × offset). */
  points: TrendPoint[];
  slope: number | null;
  intercept: number | null;
}

const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;

export function periodDays(period: Period): number {
  return daysBetween(period.start, period.end);
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** Days from the start of `period` (midnight in `timeZone`) to `at`, as a fraction. */
export function elapsedDays(period: Period, at: Date, timeZone: string): number {
  let clock = clockFormats.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    clockFormats.set(timeZone, clock);
  }
  const [hours, minutes, seconds] = clock.format(at).split(":").map(Number) as [number, number, number];
  return daysBetween(period.start, todayIn(timeZone, at)) + (hours * 3600 + minutes * 60 + seconds) / 86_400;
}

/** Least squares over (offset, value): the line that best fits the points. Needs two distinct offsets. */
export function leastSquares(points: readonly { offset: number; value: number }[]): { slope: number; intercept: number } | null {
  const n = points.length;
  if (n < 2) return null;
  const meanX = points.reduce((sum, p) => sum + p.offset, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const p of points) {
    covariance += (p.offset - meanX) * (p.value - meanY);
    variance += (p.offset - meanX) ** 2;
  }
  if (variance === 0) return null;
  const slope = covariance / variance;
  return { slope, intercept: meanY - slope * meanX };
}

interface Target {
  targetType: TargetTypeValue;
  targetValue: number;
}

function judged(target: Target, projected: number | null) {
  const achievement = projected === null ? null : achievementPercentage(target.targetType, projected, target.targetValue);
  return {
    projectedValue: projected === null ? null : round(projected),
    projectedAchievement: achievement,
    onTrack: achievement === null ? null : achievement >= ON_TRACK_ACHIEVEMENT[target.targetType],
  };
}

/**
 * An additive KPI (counts, revenue) ends the period at its value so far scaled to the whole period:
 * 12 deals in 10 of 30 days projects 36.
 */
export function projectLinearly(
  target: Target,
  period: Period,
  toDate: { value: number | null; calculatedAt: Date } | null,
  timeZone: string,
): Forecast {
  const days = periodDays(period);
  const base = { method: "linear_projection" as const, periodDays: days, points: [], slope: null, intercept: null };
  if (!toDate || toDate.value === null) {
    return {
      ...base,
      ...judged(target, null),
      valueToDate: null,
      elapsedDays: null,
      explanation: "No value for this period yet: nothing to project.",
    };
  }
  const elapsed = Math.min(days, elapsedDays(period, toDate.calculatedAt, timeZone));
  if (elapsed <= 0) {
    return {
      ...base,
      ...judged(target, null),
      valueToDate: toDate.value,
      elapsedDays: 0,
      explanation: "The value so far was calculated before the period began: nothing to project.",
    };
  }
  const projected = (toDate.value * days) / elapsed;
  return {
    ...base,
    ...judged(target, projected),
    valueToDate: toDate.value,
    elapsedDays: round(elapsed, 2),
    explanation:
      elapsed >= days
        ? `The period is complete: ${toDate.value} is final.`
        : `${toDate.value} in ${round(elapsed, 2)} of ${days} days, scaled to the whole period.`,
  };
}

/**
 * An average or a rate is not scaled: the line fitted by least squares through the last completed
 * periods is read at this period. With one period, that value carries on.
 */
export function projectTrend(target: Target, period: Period, points: readonly TrendPoint[]): Forecast {
  const base = { valueToDate: null, elapsedDays: null, periodDays: periodDays(period), points: [...points] };
  const line = leastSquares(points);
  if (line) {
    return {
      ...base,
      method: "least_squares_trend",
      ...judged(target, line.intercept),
      slope: round(line.slope),
      intercept: round(line.intercept),
      explanation: `Least-squares line through the last ${points.length} periods, ${line.slope >= 0 ? "rising" : "falling"} ${Math.abs(round(line.slope, 2))} a period.`,
    };
  }
  const last = points[0];
  return {
    ...base,
    method: "last_value",
    ...judged(target, last ? last.value : null),
    slope: null,
    intercept: null,
    explanation: last ? "Only one earlier period: its value carries on." : "No earlier period has a value: nothing to project.",
  };
}
