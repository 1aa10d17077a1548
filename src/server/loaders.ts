import type { Config } from "../config/config.js";
import type { Db } from "../db/client.js";
import { createAssignmentLoaders } from "../modules/assignment/assignment.loaders.js";
import { createDefinitionLoaders } from "../modules/definition/definition.loaders.js";
import { createAlertLoaders } from "../modules/alert/alert.loaders.js";
import { createInsightLoaders } from "../modules/insight/insight.loaders.js";
import { createMeasurementLoaders } from "../modules/measurement/measurement.loaders.js";
import { createScoreLoaders } from "../modules/score/score.loaders.js";
import { createTeamLoaders } from "../modules/team/team.loaders.js";
import { createUserLoaders } from "../modules/user/user.loaders.js";

/**
 * Loaders live for one request only: a loader shared between requests would leak one viewer's data
 * to another. `today` is fixed once per request so that every field of a response agrees on it.
 */
export function createLoaders(db: Db, today: string, scoring: Config["scoring"]) {
  const users = createUserLoaders(db);
  return {
    ...users,
    ...createTeamLoaders(db, users.userById),
    ...createDefinitionLoaders(db),
    ...createAssignmentLoaders(db, today),
    ...createMeasurementLoaders(db.$client),
    ...createInsightLoaders(db.$client, today),
    ...createAlertLoaders(db),
    ...createScoreLoaders(db.$client, today, scoring.scoreCap),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
