import type { Viewer } from "../auth/authenticate.js";
import type { Db } from "../db/client.js";
import type { Logger } from "../lib/logger.js";
import { Access } from "../permissions/access.js";
import type { Services } from "../services.js";
import { createLoaders, type Loaders } from "./loaders.js";

export interface Context {
  viewer: Viewer | null;
  access: Access;
  loaders: Loaders;
  services: Services;
  requestId: string;
  log: Logger;
}

export function createContext(args: {
  db: Db;
  services: Services;
  viewer: Viewer | null;
  requestId: string;
  log: Logger;
}): Context {
  return {
    viewer: args.viewer,
    access: new Access(args.db, args.viewer),
    loaders: createLoaders(args.db),
    services: args.services,
    requestId: args.requestId,
    log: args.log,
  };
}
