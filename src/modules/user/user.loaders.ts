import DataLoader from "dataloader";
import type { DbOrTx } from "../../db/client.js";
import type { UserRow } from "../../db/schema/index.js";
import { groupBy } from "../../lib/group-by.js";
import { externalIdsByUserIds, teamIdsByUserIds, usersByIds } from "./user.store.js";

export function createUserLoaders(db: DbOrTx) {
  return {
    userById: new DataLoader<number, UserRow | null>(async (ids) => {
      const byId = new Map((await usersByIds(db, ids)).map((user) => [user.id, user]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    teamIdsByUserId: new DataLoader<number, number[]>(async (userIds) => {
      const byUser = groupBy(await teamIdsByUserIds(db, userIds), (row) => row.userId);
      return userIds.map((id) => (byUser.get(id) ?? []).map((row) => row.teamId));
    }),
    externalIdsByUserId: new DataLoader<number, Array<{ provider: string; externalId: string }>>(async (userIds) => {
      const byUser = groupBy(await externalIdsByUserIds(db, userIds), (row) => row.userId);
      return userIds.map((id) => byUser.get(id) ?? []);
    }),
  };
}
