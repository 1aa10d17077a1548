import type pg from "pg";
import { optionsLoader } from "../../lib/options-loader.js";
import { latestMeasurements, measurementHistory, snapshotsOfUsers, type HistoryWindow } from "./measurement.store.js";

export function createMeasurementLoaders(pool: pg.Pool) {
  return {
    /** The latest `options` measurements of an assignment, newest first; currentMeasurement is count 1. */
    latestMeasurements: optionsLoader(
      (ids, count: number) => latestMeasurements(pool, ids, count),
      (row) => row.userKpiId,
    ),
    measurementHistory: optionsLoader(
      (ids, window: HistoryWindow) => measurementHistory(pool, ids, window),
      (row) => row.userKpiId,
    ),
    snapshots: optionsLoader(
      (userIds, range: { from: string | null; to: string | null }) => snapshotsOfUsers(pool, userIds, range.from, range.to),
      (row) => row.userId,
    ),
  };
}
