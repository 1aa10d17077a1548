import type { AggregationPeriodValue } from "../db/schema/index.js";
import { periodContaining, type Period } from "./periods.js";

/** How a value and its achievement moved from an earlier period to the compared one. */
export interface Change {
  valueChange: number | null;
  /** Relative to the earlier value's size; null when that was 0 or either is missing. */
  valueChangePercent: number | null;
  /** In achievement points (percentage points). */
  achievementChange: number | null;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

export function changeBetween(
  current: { value: number | null; achievement: number | null },
  earlier: { value: number | null; achievement: number | null } | null,
): Change {
  const value = current.value !== null && earlier?.value != null ? current.value - earlier.value : null;
  return {
    valueChange: value === null ? null : round(value),
    valueChangePercent: value === null || earlier!.value === 0 ? null : round((value / Math.abs(earlier!.value!)) * 100),
    achievementChange:
      current.achievement !== null && earlier?.achievement != null ? round(current.achievement - earlier.achievement) : null,
  };
}

/**
 * The same period a year earlier: for days, months and quarters the one containing the same
 * calendar date a year before (29 February falls back to the 28th); for weeks the week with the
 * same ISO number in the previous ISO year (week 53 becomes week 52 when that year has none).
 */
export function samePeriodLastYear(aggregation: AggregationPeriodValue, period: Period): Period {
  const [year, month, day] = period.start.split("-").map(Number) as [number, number, number];
  if (aggregation === "weekly") {
    const { isoYear, week } = isoWeek(Date.UTC(year, month - 1, day));
    const monday = isoWeekOneMonday(isoYear - 1) + (Math.min(week, isoWeeksIn(isoYear - 1)) - 1) * 7 * DAY_MS;
    return periodContaining("weekly", new Date(monday).toISOString().slice(0, 10));
  }
  const date = new Date(Date.UTC(year - 1, month - 1, day));
  if (date.getUTCMonth() !== month - 1) date.setUTCDate(0); // 29 February → 28 February
  return periodContaining(aggregation, date.toISOString().slice(0, 10));
}

const DAY_MS = 86_400_000;

/** Monday of ISO week 1: the week with 4 January. */
function isoWeekOneMonday(isoYear: number): number {
  const fourth = Date.UTC(isoYear, 0, 4);
  return fourth - ((new Date(fourth).getUTCDay() + 6) % 7) * DAY_MS;
}

function isoWeek(time: number): { isoYear: number; week: number } {
  const thursday = time + (3 - ((new Date(time).getUTCDay() + 6) % 7)) * DAY_MS;
  const isoYear = new Date(thursday).getUTCFullYear();
  return { isoYear, week: Math.floor((thursday - isoWeekOneMonday(isoYear)) / (7 * DAY_MS)) + 1 };
}

function isoWeeksIn(isoYear: number): number {
  return isoWeek(Date.UTC(isoYear, 11, 28)).week; // 28 December is always in the year's last week
}
