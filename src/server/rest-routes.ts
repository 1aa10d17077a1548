import type { Express } from "express";
import type { Authenticator } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import type { Db } from "../db/client.js";
import { exportRoutes } from "../exports/exports.router.js";
import { recalculateHook } from "../hooks/recalculate-hook.js";
import type { Metrics } from "../observability/metrics.js";
import { todayIn } from "../scoring/periods.js";
import type { Services } from "../services.js";

export interface RestRouteDeps {
  config: Config;
  db: Db;
  services: Services;
  authenticator: Authenticator;
  metrics: Metrics;
}

/** The plain HTTP routes beside GraphQL: POST /hooks/recalculate and GET /exports/…; their errors are shaped as GraphQL's. */
export function mountRestRoutes(app: Express, deps: RestRouteDeps): void {
  const { config, db } = deps;
  const today = () => todayIn(config.scoring.timeZone);
  app.use(recalculateHook({ secret: config.hooks.secret, db, runs: deps.services.runs, today }));
  app.use(exportRoutes({ db, authenticator: deps.authenticator, today, metrics: deps.metrics, limits: config.exports }));
}
