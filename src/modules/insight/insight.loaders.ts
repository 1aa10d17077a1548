import DataLoader from "dataloader";
import type pg from "pg";
import { optionsLoader } from "../../lib/options-loader.js";
import type { Measurement } from "../measurement/measurement.store.js";
import { trendPeriods, type TrendWindow } from "./insight.service.js";
import { measurementsAt, teamTrends } from "./insight.store.js";

export function createInsightLoaders(pool: pg.Pool, today: string) {
  return {
    /** Forecasts and comparisons of a whole dashboard ask for a few periods each: one statement for all. */
    measurementAt: new DataLoader<{ userKpiId: number; periodStart: string }, Measurement | null, string>(
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
