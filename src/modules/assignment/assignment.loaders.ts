import DataLoader from "dataloader";
import type { DbOrTx } from "../../db/client.js";
import type { UserKpiRow } from "../../db/schema/index.js";
import { groupBy } from "../../lib/group-by.js";
import { userKpisByIds, userKpisOfUsers } from "./assignment.store.js";

export function createAssignmentLoaders(db: DbOrTx, today: string) {
  const userKpiById = new DataLoader<number, UserKpiRow | null>(async (ids) => {
    const byId = new Map((await userKpisByIds(db, ids)).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  const byUser = (activeOn?: string) =>
    new DataLoader<number, UserKpiRow[]>(async (userIds) => {
      const rows = await userKpisOfUsers(db, userIds, { activeOn });
      for (const row of rows) userKpiById.prime(row.id, row);
      const grouped = groupBy(rows, (row) => row.userId);
      return userIds.map((id) => grouped.get(id) ?? []);
    });
  return {
    userKpiById,
    activeUserKpisByUserId: byUser(today),
    allUserKpisByUserId: byUser(),
  };
}
