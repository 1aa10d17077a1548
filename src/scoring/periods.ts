import type { AggregationPeriodValue } from "../db/schema/index.js";

/**
 * Measurement periods as calendar dates ("YYYY-MM-DD"). A period is half-open, [start, end), so
 * adjacent periods never share a day: October 2026 is 2026-10-01 to 2026-11-01. Weeks are ISO weeks
 * (Monday to Monday), quarters start in January, April, July and October. The arithmetic is on
 * calendar dates only; the organisation's time zone matters only for which day is "today".
 */
export interface Period {
  start: string;
  end: string;
}

/**
 * Whether an assignment's dates cover any of a period: its dates are inclusive (`endDate` the last
 * day, null while ongoing), the period half-open, so they overlap when the period starts by the last
 * day and ends after the first.
 */
export function assignmentCovers(dates: { startDate: string; endDate: string | null }, period: Period): boolean {
  return dates.startDate < period.end && (dates.endDate === null || dates.endDate >= period.start);
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseDate(date: string): Date {
  const match = DATE_PATTERN.exec(date);
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : new Date(NaN);
  if (Number.isNaN(parsed.getTime()) || formatDate(parsed) !== date) throw new RangeError(`Not a calendar date: ${date}`);
  return parsed;
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function isCalendarDate(date: string): boolean {
  try {
    parseDate(date);
    return true;
  } catch {
    return false;
  }
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((parseDate(to).getTime() - parseDate(from).getTime()) / 86_400_000);
}

export function addDays(date: string, days: number): string {
  const parsed = parseDate(date);
  parsed.setUTCDate(parsed.getUTCDate() + days);
  return formatDate(parsed);
}

function startOf(period: AggregationPeriodValue, day: Date): Date {
  const year = day.getUTCFullYear();
  const month = day.getUTCMonth();
  switch (period) {
    case "daily":
      return day;
    case "weekly": {
      const mondayOffset = (day.getUTCDay() + 6) % 7;
      return new Date(Date.UTC(year, month, day.getUTCDate() - mondayOffset));
    }
    case "monthly":
      return new Date(Date.UTC(year, month, 1));
    case "quarterly":
      return new Date(Date.UTC(year, month - (month % 3), 1));
  }
}

function shift(period: AggregationPeriodValue, start: Date, count: number): Date {
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth();
  const date = start.getUTCDate();
  switch (period) {
    case "daily":
      return new Date(Date.UTC(year, month, date + count));
    case "weekly":
      return new Date(Date.UTC(year, month, date + 7 * count));
    case "monthly":
      return new Date(Date.UTC(year, month + count, 1));
    case "quarterly":
      return new Date(Date.UTC(year, month + 3 * count, 1));
  }
}

/** The period of the given kind that contains `date`. */
export function periodContaining(period: AggregationPeriodValue, date: string): Period {
  const start = startOf(period, parseDate(date));
  return { start: formatDate(start), end: formatDate(shift(period, start, 1)) };
}

/** The period `count` periods after (or, negative, before) the given one. */
export function shiftPeriod(period: AggregationPeriodValue, of: Period, count: number): Period {
  const start = shift(period, parseDate(of.start), count);
  return { start: formatDate(start), end: formatDate(shift(period, start, 1)) };
}

/** Whether [start, end) is exactly one period of the given kind. */
export function isExactPeriod(period: AggregationPeriodValue, start: string, end: string): boolean {
  if (!isCalendarDate(start) || !isCalendarDate(end)) return false;
  const containing = periodContaining(period, start);
  return containing.start === start && containing.end === end;
}

/** The latest period that has ended by `today` (the one before the period containing today). */
export function latestCompletedPeriod(period: AggregationPeriodValue, today: string): Period {
  return shiftPeriod(period, periodContaining(period, today), -1);
}

// Every request asks for today: building an Intl.DateTimeFormat takes some 65 µs, formatting with a
// built one 1 µs, so one formatter per time zone is kept.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Today's calendar date in the given IANA time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA formats as YYYY-MM-DD.
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormats.set(timeZone, format);
  }
  return format.format(now);
}
