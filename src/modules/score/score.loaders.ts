import DataLoader from "dataloader";
import type pg from "pg";
import { groupBy } from "../../lib/group-by.js";
import { overallScore } from "../../scoring/overall-score.js";
import { kpiAveragesOfTeams, scoredAssignments, type KpiAverageRow } from "./score.store.js";

export function createScoreLoaders(pool: pg.Pool, today: string, scoreCap: number) {
  return {
    overallScoreByUserId: new DataLoader<number, number | null>(async (userIds) => {
      const byUser = groupBy(await scoredAssignments(pool, userIds, today), (row) => row.userId);
      return userIds.map((id) => overallScore(byUser.get(id) ?? [], scoreCap));
    }),
    kpiAveragesByTeamId: new DataLoader<number, KpiAverageRow[]>(async (teamIds) => {
      const byTeam = groupBy(await kpiAveragesOfTeams(pool, teamIds, today), (row) => row.teamId);
      return teamIds.map((id) => byTeam.get(id) ?? []);
    }),
  };
}
