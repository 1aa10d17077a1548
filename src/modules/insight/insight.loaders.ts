import DataLoader from "dataloader";
import type pg from "pg";
import { optionsLoader } from "../../lib/options-loader.js";
import { periodContaining, shiftPeriod, type Period } from "../../scoring/periods.js";
import type { AggregationPeriodValue } from "../../db/schema/index.js";
import type { KpiMeasurement } from "../measurement/measurement.type.js";
import { measurementsAt, teamTrends } from "./insight.store.js";

export interface TrendWindow {
  aggregation: AggregationPeriodValue;
  periods: number;
}

/** The last `periods` periods up to the one containing today, oldest first. */
export function trendPeriods(window: TrendWindow, today: string): Period[] {
  const current = periodContaining(window.aggregation, today);
  return Array.from({ length: window.periods }, (_, i) => shiftPeriod(window.aggregation, current, i - window.periods + 1));
}

export function createInsightLoaders(pool: pg.Pool, today: string) {
  return {
    /** Forecasts and comparisons of a whole dashboard ask for a few periods each: one statement for all. */
    measurementAt: new DataLoader<{ userKpiId: number; periodStart: string }, KpiMeasurement | null, string>(
      async (keys) => {
        const found = new Map(
          (await measurementsAt(pool, keys)).map((row) => [`${row.userKpiId}|${row.periodStart}`, row] as const),
        );
        return keys.map((key) => found.get(`${key.userKpiId}|${key.periodStart}`) ?? null);
      },
      { cacheKeyFn: (key) => `${key.userKpiId}|${key.periodStart}` },
    ),
    teamTrend: optionsLoader(
      (teamIds, window: TrendWindow) => teamTrends(pool, teamIds, trendPeriods(window, today)),
      (row) => row.teamId,
    ),
  };
}
