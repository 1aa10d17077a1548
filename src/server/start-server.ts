// First: type-graphql's decorators (in modules that services import too) need the metadata API.
import "reflect-metadata";
import type { Server } from "node:http";
import { Authenticator } from "../auth/authenticate.js";
import type { JwtService } from "../auth/jwt.js";
import type { Config } from "../config/config.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../lib/logger.js";
import { limitHeapGrowth } from "../lib/heap.js";
import { JOBS_DRAIN_MS } from "../lib/shutdown.js";
import { Metrics } from "../observability/metrics.js";
import { createServices, type Services } from "../services.js";
import { dashboardRoutes, findDashboardDir } from "../web/dashboard.router.js";
import { mountApollo } from "./apollo.js";
import { contextFactory } from "./context.js";
import { mountErrorHandlers } from "./error-handler.js";
import { createHttpApp } from "./http-app.js";
import { closeHttpServer, listen } from "./http-server.js";
import { mountProbes } from "./probes.js";
import { mountRestRoutes } from "./rest-routes.js";
import { buildServedSchema } from "./schema.js";
import { mountWebSockets } from "./websocket.js";

export interface ServerDeps {
  config: Config;
  database: Database;
  log: Logger;
  jwt: JwtService;
  /** The process's metrics, when something else records into them too; a new set otherwise. */
  metrics?: Metrics;
  /** One-click demo sign-in on the dashboard (main.ts: DEMO_SIGN_IN, else whether the demo data is in use); off when absent. */
  demoSignIn?: boolean;
}

export interface RunningServer {
  url: string;
  graphqlUrl: string;
  server: Server;
  services: Services;
  /** What GET /metrics exposes. */
  metrics: Metrics;
  stop(): Promise<void>;
}

/**
 * The API server: services, then the routes in the order requests meet them (probes, REST routes,
 * WebSockets, GraphQL, the dashboard, the error handlers), then listening, then the jobs.
 */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config, database, log } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const services = buildServices(deps, metrics);
  const authenticator = createAuthenticator(deps, services);
  const contextFor = contextFactory({ db: database.db, services, scoring: config.scoring });
  const schema = await buildServedSchema(services.live.pubSub);

  const { app, httpServer } = createHttpApp(config, log);
  mountProbes(app, { pool: database.pool, metrics, metricsToken: config.metrics.token });
  mountRestRoutes(app, { config, db: database.db, services, authenticator, metrics });
  const subscriptions = mountWebSockets({ httpServer, schema, limits: config.graphql, authenticator, contextFor, log });
  const apollo = await mountApollo(app, {
    schema,
    limits: config.graphql,
    httpServer,
    pool: database.pool,
    metrics,
    authenticator,
    contextFor,
    subscriptions,
  });
  app.use(dashboardRoutes({ dir: findDashboardDir(), oidcIssuer: config.signIn.oidc?.issuer }));
  mountErrorHandlers(app, { bodyLimit: config.graphql.bodyLimit });

  // Subscribers must not miss what other processes publish once the server answers.
  await services.live.listen();
  const url = await listen(httpServer, config);
  // A worker in the same process unless JOBS_ENABLED=false (an API-only replica).
  if (config.jobs.enabled) await services.jobs.start();
  // Once started, so that loading the modules and building the schema run without extra collections.
  limitHeapGrowth();

  return {
    url,
    graphqlUrl: `${url}/graphql`,
    server: httpServer,
    services,
    metrics,
    async stop() {
      await apollo.stop();
      await services.jobs.stop(JOBS_DRAIN_MS);
      await services.close();
      await closeHttpServer(httpServer);
    },
  };
}

/** The composition root's services, with the pool and the job queue watched by the metrics. */
function buildServices(deps: ServerDeps, metrics: Metrics): Services {
  const { config, database, log, jwt } = deps;
  metrics.watchPool("main", database.pool);
  const services = createServices(database.db, config, {
    log,
    embedded: database.embedded,
    metrics,
    session: { jwt, demo: deps.demoSignIn ?? config.signIn.demo ?? false, oidc: config.signIn.oidc },
  });
  metrics.watchJobQueue(() => services.jobs.queueDepth());
  return services;
}

/** Who a request's credential names; with AUTH_PROVISION_USERS, an unknown identity becomes a user. */
function createAuthenticator(deps: ServerDeps, services: Services): Authenticator {
  const { config } = deps;
  return new Authenticator(
    deps.database.db,
    deps.jwt,
    config.auth.subject,
    config.auth.provisionUsers
      ? { provision: (identity) => services.users.provision(identity), nameClaim: config.auth.nameClaim }
      : undefined,
  );
}
