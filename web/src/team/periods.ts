import type { AggregationPeriod } from "../gql/graphql";

/**
 * Measurement periods as the server reckons them (src/scoring/periods.ts), on calendar dates
 * ("YYYY-MM-DD"): half-open [start, end), weeks from Monday, quarters from January. The record form
 * uses them to offer the period a day falls in, so that recordMeasurement gets exactly one period.
 */
export interface Period {
  start: string;
  end: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parse(date: string): Date | null {
  const match = DATE.exec(date);
  if (!match) return null;
  const parsed = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return Number.isNaN(parsed.getTime()) || iso(parsed) !== date ? null : parsed;
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function startOf(period: AggregationPeriod, day: Date): Date {
  const year = day.getUTCFullYear();
  const month = day.getUTCMonth();
  switch (period) {
    case "DAILY":
      return day;
    case "WEEKLY":
      return new Date(Date.UTC(year, month, day.getUTCDate() - ((day.getUTCDay() + 6) % 7)));
    case "MONTHLY":
      return new Date(Date.UTC(year, month, 1));
    case "QUARTERLY":
      return new Date(Date.UTC(year, month - (month % 3), 1));
  }
}

function shift(period: AggregationPeriod, start: Date, count: number): Date {
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth();
  const date = start.getUTCDate();
  switch (period) {
    case "DAILY":
      return new Date(Date.UTC(year, month, date + count));
    case "WEEKLY":
      return new Date(Date.UTC(year, month, date + 7 * count));
    case "MONTHLY":
      return new Date(Date.UTC(year, month + count, 1));
    case "QUARTERLY":
      return new Date(Date.UTC(year, month + 3 * count, 1));
  }
}

/** The period of the given kind that contains `date`; null when `date` is not a calendar date. */
export function periodContaining(period: AggregationPeriod, date: string): Period | null {
  const day = parse(date);
  if (!day) return null;
  const start = startOf(period, day);
  return { start: iso(start), end: iso(shift(period, start, 1)) };
}

/** The latest period that has ended by `today`. */
export function latestCompletePeriod(period: AggregationPeriod, today: string): Period {
  const current = periodContaining(period, today)!;
  const start = shift(period, parse(current.start)!, -1);
  return { start: iso(start), end: current.start };
}

/** Today's date where the browser is. */
export function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

/** The day before `date` (the last day of a period ending there). */
export function dayBefore(date: string): string {
  const day = parse(date)!;
  day.setUTCDate(day.getUTCDate() - 1);
  return iso(day);
}

export const PERIOD_WORD: Record<AggregationPeriod, string> = {
  DAILY: "day",
  WEEKLY: "week",
  MONTHLY: "month",
  QUARTERLY: "quarter",
};
