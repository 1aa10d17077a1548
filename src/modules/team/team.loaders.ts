import DataLoader from "dataloader";
import type { DbOrTx } from "../../db/client.js";
import type { TeamRow, UserRow } from "../../db/schema/index.js";
import { groupBy } from "../../lib/group-by.js";
import { membersOfTeams, teamsByIds } from "./team.store.js";

export function createTeamLoaders(db: DbOrTx, userById: DataLoader<number, UserRow | null>) {
  return {
    teamById: new DataLoader<number, TeamRow | null>(async (ids) => {
      const byId = new Map((await teamsByIds(db, ids)).map((team) => [team.id, team]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    membersByTeamId: new DataLoader<number, UserRow[]>(async (teamIds) => {
      const rows = await membersOfTeams(db, teamIds);
      // The member rows are full users: prime the user loader so member.user costs no query.
      for (const row of rows) userById.prime(row.user.id, row.user);
      const byTeam = groupBy(rows, (row) => row.teamId);
      return teamIds.map((id) => (byTeam.get(id) ?? []).map((row) => row.user));
    }),
  };
}
