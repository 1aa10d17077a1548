import DataLoader from "dataloader";
import { groupBy } from "./group-by.js";

export interface KeyWithOptions<O> {
  id: number;
  options: O;
}

/**
 * A loader for lists keyed by (id, options), e.g. (assignment, periods): within one batch, one
 * call of `load` per distinct options with all their ids, so a dashboard asking trend(periods: 6)
 * of 1,000 assignments runs one statement.
 */
export function optionsLoader<O, R>(
  load: (ids: number[], options: O) => Promise<R[]>,
  idOf: (row: R) => number,
): DataLoader<KeyWithOptions<O>, R[], string> {
  return new DataLoader<KeyWithOptions<O>, R[], string>(
    async (keys) => {
      const byOptions = groupBy(keys, (key) => JSON.stringify(key.options));
      const results = new Map<string, R[]>();
      await Promise.all(
        [...byOptions.values()].map(async (group) => {
          const options = group[0]!.options;
          const rows = groupBy(await load([...new Set(group.map((key) => key.id))], options), idOf);
          for (const key of group) results.set(`${key.id}|${JSON.stringify(options)}`, rows.get(key.id) ?? []);
        }),
      );
      return keys.map((key) => results.get(`${key.id}|${JSON.stringify(key.options)}`) ?? []);
    },
    { cacheKeyFn: (key) => `${key.id}|${JSON.stringify(key.options)}` },
  );
}
