import type { Viewer } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import type { Db } from "../db/client.js";
import type { Context } from "../graphql/context.js";
import type { Logger } from "../lib/logger.js";
import { Access } from "../permissions/access.js";
import { todayIn } from "../scoring/periods.js";
import type { Services } from "../services.js";
import { createLoaders } from "./loaders.js";

/** Builds the context of one request (or one subscription event) of `viewer`. */
export type ContextFactory = (viewer: Viewer | null, requestId: string, log: Logger) => Context;

/**
 * Contexts for HTTP requests and subscription events alike. Each gets its own loaders and
 * permission answers (Access), never shared with another request: a loader shared between
 * requests would leak one viewer's data to another.
 */
export function contextFactory(deps: { db: Db; services: Services; scoring: Config["scoring"] }): ContextFactory {
  const { db, services, scoring } = deps;
  return (viewer, requestId, log) => {
    const today = todayIn(scoring.timeZone);
    return {
      viewer,
      today,
      timeZone: scoring.timeZone,
      access: new Access(db, viewer),
      loaders: createLoaders(db, today, scoring),
      services,
      requestId,
      log,
    };
  };
}
