import { CronExpressionParser } from "cron-parser";

/**
 * The recurring jobs' cron expressions, parsed and checked here because config validates them; what
 * each one runs is listed in src/jobs/schedules.ts. The names are the aggregation periods (a run of
 * that period's definitions) and "snapshot".
 */
export type ScheduleName = "daily" | "weekly" | "monthly" | "quarterly" | "snapshot";

/** Cron expressions (5 fields, minute hour day month weekday) in the organisation's time zone. */
export type Schedule = Record<ScheduleName, string>;

// An hour apart so the runs do not compete for the data sources, and the snapshot last so it records
// the scores the night's calculations produced.
export const DEFAULT_SCHEDULE: Schedule = {
  daily: "0 2 * * *",
  weekly: "0 3 * * 1",
  monthly: "0 4 1 * *",
  quarterly: "0 5 1 1,4,7,10 *",
  snapshot: "0 6 * * *",
};

const FIELD_COUNT = 5;
// A hashed field ("H", "H(0-29)") is random unless seeded, and Agenda does not seed it, so the job
// would run at a different minute after every run.
const HASHED_FIELD = /(^|[\s,])H/;

/** Config validation must reject what cron-parser silently pads or guesses ("0 2 * *" would run every minute of midnight on the 2nd). */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/).filter(Boolean).length;
  if (fields !== FIELD_COUNT) return `expected 5 fields (minute hour day month weekday), got ${fields}`;
  if (HASHED_FIELD.test(expression)) return "hashed values (H) are not supported";
  try {
    CronExpressionParser.parse(expression);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Uses cron-parser with Agenda's own options, so the instants shown are the ones Agenda will run at, DST shifts included. */
export function nextFireTimes(expression: string, after: Date, timeZone: string, count = 1): Date[] {
  const problem = cronProblem(expression);
  if (problem) throw new RangeError(`Invalid cron expression "${expression}": ${problem}`);
  const fires = CronExpressionParser.parse(expression, { currentDate: after, tz: timeZone });
  return Array.from({ length: count }, () => fires.next().toDate());
}
