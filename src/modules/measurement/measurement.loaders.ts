import DataLoader from "dataloader";
import type pg from "pg";
import { groupBy } from "../../lib/group-by.js";
import { optionsLoader, type KeyWithOptions } from "../../lib/options-loader.js";
import type { Measurement } from "./measurement.store.js";
import {
  latestMeasurements,
  measurementHistory,
  measurementsOfUsers,
  snapshotsOfUsers,
  type HistoryWindow,
  type MeasurementOfUserKey,
} from "./measurement.store.js";

export function createMeasurementLoaders(pool: pg.Pool) {
  return {
    /**
     * The latest `options` measurements of an assignment, newest first; currentMeasurement is count 1.
     * A dashboard asks currentMeasurement and trend(periods: 6) of the same assignments in one batch:
     * one statement reads, per assignment, the most any key asks for, and each key takes its first
     * `count` (one statement per distinct count would read the latest period twice).
     */
    latestMeasurements: new DataLoader<KeyWithOptions<number>, Measurement[], string>(
      async (keys) => {
        const counts = new Map<number, number>();
        for (const { id, options } of keys) counts.set(id, Math.max(options, counts.get(id) ?? 0));
        const rows = groupBy(await latestMeasurements(pool, [...counts.keys()], [...counts.values()]), (row) => row.userKpiId);
        return keys.map(({ id, options }) => (rows.get(id) ?? []).slice(0, options));
      },
      { cacheKeyFn: (key) => `${key.id}|${key.options}` },
    ),
    measurementHistory: optionsLoader(
      (ids, window: HistoryWindow) => measurementHistory(pool, ids, window),
      (row) => row.userKpiId,
    ),
    /** A measurement by its key, if it belongs to the key's user (what a live event names). */
    measurementOfUser: new DataLoader<MeasurementOfUserKey, Measurement | undefined, string>(
      (keys) => measurementsOfUsers(pool, keys),
      { cacheKeyFn: (key) => `${key.userId}|${key.userKpiId}|${key.periodStart}|${key.periodEnd}` },
    ),
    snapshots: optionsLoader(
      (userIds, range: { from: string | null; to: string | null }) => snapshotsOfUsers(pool, userIds, range.from, range.to),
      (row) => row.userId,
    ),
  };
}
