import { badInput } from "../lib/errors.js";
import { addDays, formatDate, isCalendarDate, parseDate } from "../scoring/periods.js";

/** Measurements whose period starts in [from, to): half-open, as `history(from, to)` in GraphQL. */
export interface ExportRange {
  from: string;
  to: string;
}

export const DEFAULT_RANGE_MONTHS = 12;
export const MAX_RANGE_YEARS = 10;

const PARAMETERS = new Set(["from", "to"]);

/** The same calendar day `months` later (earlier when negative), or the month's last day if it has none. */
function addMonths(date: string, months: number): string {
  const day = parseDate(date);
  const target = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day.getUTCDate(), lastDay));
  return formatDate(target);
}

function dateParameter(query: Record<string, unknown>, name: "from" | "to"): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !isCalendarDate(value)) throw badInput(name, 'must be one calendar date, "YYYY-MM-DD"');
  return value;
}

/**
 * `from` and `to` of an export's query string. Without `to`, up to and including today (`to` is
 * tomorrow); without `from`, the 12 months before `to`. Refuses unknown parameters (a misspelt
 * `form=` must not silently export the default range), `from` not before `to`, and ranges longer
 * than 10 years.
 */
export function parseExportRange(query: Record<string, unknown>, today: string): ExportRange {
  const unknown = Object.keys(query).filter((name) => !PARAMETERS.has(name));
  if (unknown.length > 0) throw badInput(unknown[0]!, "is not a parameter of exports (from, to)");
  const to = dateParameter(query, "to") ?? addDays(today, 1);
  const from = dateParameter(query, "from") ?? addMonths(to, -DEFAULT_RANGE_MONTHS);
  if (from >= to) throw badInput("to", "must be after from (the range is [from, to): to itself is not included)");
  if (to > addMonths(from, 12 * MAX_RANGE_YEARS)) throw badInput("to", `must be at most ${MAX_RANGE_YEARS} years after from`);
  return { from, to };
}
