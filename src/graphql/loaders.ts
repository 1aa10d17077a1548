import type { Db } from "../db/client.js";
import { createDefinitionLoaders } from "../modules/definition/definition.loaders.js";
import { createTeamLoaders } from "../modules/team/team.loaders.js";
import { createUserLoaders } from "../modules/user/user.loaders.js";

/** Loaders live for one request only: a loader shared between requests would leak one viewer's data to another. */
export function createLoaders(db: Db) {
  const users = createUserLoaders(db);
  return {
    ...users,
    ...createTeamLoaders(db, users.userById),
    ...createDefinitionLoaders(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
