import { aggregationPeriod, type AggregationPeriodValue } from "../../db/schema/index.js";
import { isCalendarDate, periodContaining, shiftPeriod, type Period } from "../../scoring/periods.js";

/** One run of a backfill: the definitions of one aggregation period, for one of its periods. */
export interface BackfillRun {
  aggregationPeriod: AggregationPeriodValue;
  period: Period;
}

/** At most this many runs per backfill: a typo in --from must not queue 100,000 daily runs. */
export const MAX_BACKFILL_RUNS = 1000;

/**
 * The runs `calc` queues: with `date`, the period containing it; with `from`/`to`, every period
 * that starts within [from, to]. Periods that have not started by `today` are left out. Throws a
 * readable Error for bad input.
 */
export function backfillRuns(
  options: { period?: string; date?: string; from?: string; to?: string },
  today: string,
): BackfillRun[] {
  const kinds =
    options.period === undefined ? aggregationPeriod.enumValues : [options.period.toLowerCase() as AggregationPeriodValue];
  if (!aggregationPeriod.enumValues.includes(kinds[0]!))
    throw new Error(`--period must be one of ${aggregationPeriod.enumValues.join(", ")}`);
  const byDate = options.date !== undefined;
  if (byDate === (options.from !== undefined || options.to !== undefined))
    throw new Error("give either --date or --from and --to");
  for (const [name, value] of Object.entries({ date: options.date, from: options.from, to: options.to })) {
    if (value !== undefined && !isCalendarDate(value)) throw new Error(`--${name} must be a date YYYY-MM-DD`);
  }
  const runs: BackfillRun[] = [];
  for (const aggregationPeriod of kinds) {
    if (byDate) {
      runs.push({ aggregationPeriod, period: periodContaining(aggregationPeriod, options.date!) });
      continue;
    }
    if (!options.from || !options.to || options.to < options.from)
      throw new Error("--from and --to must both be given, from <= to");
    let period = periodContaining(aggregationPeriod, options.from);
    if (period.start < options.from) period = shiftPeriod(aggregationPeriod, period, 1);
    for (; period.start <= options.to; period = shiftPeriod(aggregationPeriod, period, 1)) {
      runs.push({ aggregationPeriod, period });
      if (runs.length > MAX_BACKFILL_RUNS)
        throw new Error(`more than ${MAX_BACKFILL_RUNS} runs: narrow --from/--to or give --period`);
    }
  }
  return runs.filter((run) => run.period.start <= today);
}
