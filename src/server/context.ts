import type { Viewer } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import type { Db } from "../db/client.js";
import type { Context } from "../graphql/context.js";
import type { Logger } from "../lib/logger.js";
import { Access } from "../permissions/access.js";
import { todayIn } from "../scoring/periods.js";
import type { Services } from "../services.js";
import { createLoaders } from "./loaders.js";

/** A request's context: its own loaders and permission answers, never shared with another request. */
export function createContext(args: {
  db: Db;
  services: Services;
  scoring: Config["scoring"];
  viewer: Viewer | null;
  requestId: string;
  log: Logger;
}): Context {
  const today = todayIn(args.scoring.timeZone);
  return {
    viewer: args.viewer,
    today,
    timeZone: args.scoring.timeZone,
    access: new Access(args.db, args.viewer),
    loaders: createLoaders(args.db, today, args.scoring),
    services: args.services,
    requestId: args.requestId,
    log: args.log,
  };
}
