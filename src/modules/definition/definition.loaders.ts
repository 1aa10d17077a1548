import DataLoader from "dataloader";
import type { DbOrTx } from "../../db/client.js";
import type { KpiDefinitionRow } from "../../db/schema/index.js";
import { definitionsByIds } from "./definition.store.js";

export function createDefinitionLoaders(db: DbOrTx) {
  return {
    definitionById: new DataLoader<number, KpiDefinitionRow | null>(async (ids) => {
      const byId = new Map((await definitionsByIds(db, ids)).map((definition) => [definition.id, definition]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
