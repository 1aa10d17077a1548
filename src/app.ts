import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type NextFunction, type Request, type Response } from "express";
import { GraphQLError } from "graphql";
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pinoHttp } from "pino-http";
import { Authenticator } from "./auth/authenticate.js";
import { JwtService } from "./auth/jwt.js";
import type { Config } from "./config/config.js";
import type { Database } from "./db/client.js";
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from "./lib/unavailable.js";
import type { Context } from "./graphql/context.js";
import { createContext } from "./server/context.js";
import { errorFormatter, SERVICE_UNAVAILABLE } from "./graphql/format-error.js";
import { unavailablePlugin } from "./graphql/unavailable-plugin.js";
import { batchLimit, costLimitPlugin, limitValidationRules } from "./graphql/limits.js";
import { textInputPlugin } from "./graphql/text-input.js";
import { loggingPlugin, statementHeaderPlugin } from "./graphql/logging-plugin.js";
import { metricsPlugin } from "./graphql/metrics-plugin.js";
import { createResponseCache } from "./graphql/response-cache.js";
import { countStatements } from "./db/statement-counter.js";
import { buildServedSchema } from "./server/schema.js";
import { serveSubscriptions } from "./graphql/subscription-server.js";
import { exportRoutes } from "./exports/exports.router.js";
import { recalculateHook } from "./hooks/recalculate-hook.js";
import { crossOriginAccess } from "./lib/cors.js";
import { AppError } from "./lib/errors.js";
import { RETRY_AFTER_SECONDS, sendError, sendUnavailable } from "./lib/http-error.js";
import type { Logger } from "./lib/logger.js";
import { errorForLog } from "./lib/log-serializers.js";
import { JOBS_DRAIN_MS } from "./lib/shutdown.js";
import { Metrics } from "./observability/metrics.js";
import { dashboardRoutes, findDashboardDir } from "./web/dashboard.router.js";
import { todayIn } from "./scoring/periods.js";
import { createServices, type Services } from "./services.js";

export interface AppDeps {
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

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** Responses are per viewer: no cache may keep them. */
const noStore: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        response.http.headers.set("cache-control", "no-store");
      },
    };
  },
};

/** Whether an Authorization header is "Bearer <token>", compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1] ?? "";
  // Digests have one length whatever was sent, so neither the comparison nor its length check leaks the token.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** Builds the HTTP server (GraphQL, health, readiness, metrics) and starts listening. */
export async function startServer(deps: AppDeps): Promise<RunningServer> {
  const { config, database, log, jwt } = deps;
  const metrics = deps.metrics ?? new Metrics();
  metrics.watchPool("main", database.pool);
  const services = createServices(database.db, config, {
    log,
    embedded: database.embedded,
    metrics,
    session: { jwt, demo: deps.demoSignIn ?? config.signIn.demo ?? false, oidc: config.signIn.oidc },
  });
  metrics.watchJobQueue(() => services.jobs.queueDepth());
  const authenticator = new Authenticator(
    database.db,
    jwt,
    config.auth.subject,
    config.auth.provisionUsers
      ? { provision: (identity) => services.users.provision(identity), nameClaim: config.auth.nameClaim }
      : undefined,
  );
  const schema = await buildServedSchema(services.live.pubSub);

  const app = express();
  const httpServer = createServer(app);
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  const cors = crossOriginAccess(config.corsOrigins);
  if (cors) app.use(["/graphql", "/exports"], cors);

  app.use(
    pinoHttp({
      logger: log,
      // pino-http replaces the logger's serializers with its own for req.log: the same error hygiene here.
      serializers: { err: errorForLog },
      genReqId(req, res) {
        const given = req.headers["x-request-id"];
        const id = typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
        res.setHeader("x-request-id", id);
        return id;
      },
      // A 503 (the database unavailable) is one warning line, without the made-up error pino-http
      // attaches to every 5xx ("failed with status code 503") and its stack.
      customLogLevel: (_req, res, error) => (res.statusCode === 503 && !error ? "warn" : "info"),
      customErrorObject: (_req, res, _error, value) => (res.statusCode === 503 ? { ...value, err: undefined } : value),
      customErrorMessage: (_req, res) => (res.statusCode === 503 ? "database unavailable: answered 503" : "request errored"),
      // Probes and scrapes come every few seconds; a line for each would bury the requests that matter.
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" || req.url === "/metrics" },
    }),
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get("/readyz", async (_req, res) => {
    try {
      await database.pool.query("SELECT 1");
      res.json({ status: "ready" });
    } catch {
      res.status(503).json({ status: "unavailable", reason: "database unreachable" });
    }
  });

  // Prometheus scrapes. Without METRICS_TOKEN the endpoint is open: keep it off the public network.
  app.get("/metrics", async (req, res) => {
    const token = config.metrics.token;
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res.status(401).set("www-authenticate", 'Bearer realm="metrics"').json({ error: "Unauthorized" });
      return;
    }
    const { contentType, body } = await metrics.render();
    res.set("cache-control", "no-store").type(contentType).send(body);
  });

  app.use(
    recalculateHook({
      secret: config.hooks.secret,
      db: database.db,
      runs: services.runs,
      today: () => todayIn(config.scoring.timeZone),
    }),
  );
  app.use(
    exportRoutes({
      db: database.db,
      authenticator,
      today: () => todayIn(config.scoring.timeZone),
      metrics,
      limits: config.exports,
    }),
  );

  const subscriptions = serveSubscriptions({
    httpServer,
    path: "/graphql",
    schema,
    limits: config.graphql,
    authenticate: (authorization) => authenticator.fromAuthorizationHeader(authorization),
    createContext: (viewer, requestId) =>
      createContext({ db: database.db, services, scoring: config.scoring, viewer, requestId, log: log.child({ requestId }) }),
    log,
  });
  // Apollo's stop() drains the HTTP server; WebSocket connections are closed (1001, going away) with it.
  const closeSubscriptions: ApolloServerPlugin<Context> = {
    async serverWillStart() {
      return { drainServer: () => subscriptions.dispose() };
    },
  };

  const responseCache =
    config.graphql.responseCacheMb > 0 ? createResponseCache(database.pool, config.graphql.responseCacheMb) : null;
  const apollo = new ApolloServer<Context>({
    schema,
    formatError: errorFormatter({ hideSchemaDetails: config.graphql.hideSchemaDetails }),
    includeStacktraceInErrorResponses: false,
    introspection: config.graphql.introspection,
    hideSchemaDetailsFromClientErrors: config.graphql.hideSchemaDetails,
    allowBatchedHttpRequests: true,
    ...(responseCache && { stringifyResult: responseCache.stringify }),
    // main.ts stops the server on SIGTERM/SIGINT; Apollo's own handler would race it and never let stop() finish.
    stopOnTerminationSignals: false,
    validationRules: limitValidationRules(config.graphql),
    plugins: [
      costLimitPlugin(schema, config.graphql.maxCost),
      textInputPlugin,
      loggingPlugin,
      metricsPlugin(metrics),
      unavailablePlugin,
      ...(config.graphql.sqlStatementHeader ? [statementHeaderPlugin] : []),
      ...(responseCache ? [responseCache.plugin] : []),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      closeSubscriptions,
      // Apollo's cache-control plugin wraps every field resolver to collect cache hints. We set none
      // (every response is the viewer's own), so all it ever did was send "no-store", at a fifth of the
      // CPU of a team dashboard (bench/read.ts). Off, with that header kept.
      ApolloServerPluginCacheControlDisabled(),
      noStore,
    ],
  });
  await apollo.start();

  // app.all matches /graphql exactly; app.use would also answer /graphql/anything.
  app.all(
    "/graphql",
    express.json({ limit: config.graphql.bodyLimit }),
    batchLimit(config.graphql.maxBatchOperations),
    // Counting is only for the x-sql-statements header: without it, requests skip the bookkeeping.
    (_req: Request, _res: Response, next: NextFunction) => (config.graphql.sqlStatementHeader ? countStatements(next) : next()),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const viewer = await authenticator.fromAuthorizationHeader(req.headers.authorization).catch((error: unknown) => {
          if (error instanceof AppError) {
            throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
          }
          // Authentication reads the database: while it is down, every request fails here first.
          if (isDatabaseUnavailable(error)) {
            throw new GraphQLError(DATABASE_UNAVAILABLE_MESSAGE, {
              extensions: {
                code: SERVICE_UNAVAILABLE,
                http: { status: 503, headers: new Map([["retry-after", String(RETRY_AFTER_SECONDS)]]) },
              },
            });
          }
          throw error;
        });
        return createContext({
          db: database.db,
          services,
          scoring: config.scoring,
          viewer,
          requestId: String(req.id),
          log: req.log,
        });
      },
    }),
  );

  app.use(dashboardRoutes({ dir: findDashboardDir(), oidcIssuer: config.signIn.oidc?.issuer }));

  app.use((_req, res) => {
    res.status(404).json({ error: "Not found" });
  });

  // Malformed JSON and oversized bodies are the client's fault; anything else is ours and stays opaque.
  app.use((error: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    // A route (exports, the recalculate hook) that met an unavailable database: try again, as GraphQL says.
    if (isDatabaseUnavailable(error)) return sendUnavailable(res);
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) req.log.error({ err: error }, "unhandled error");
    const message =
      error.type === "entity.too.large"
        ? `Request body is larger than ${config.graphql.bodyLimit} (BODY_LIMIT)`
        : status === 500
          ? "Internal server error"
          : "Malformed request body";
    sendError(res, status, status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_USER_INPUT", message);
  });

  // Subscribers must not miss what other processes publish once the server answers.
  await services.live.listen();
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  // A worker in the same process unless JOBS_ENABLED=false (an API-only replica).
  if (config.jobs.enabled) await services.jobs.start();
  const { port } = httpServer.address() as AddressInfo;
  const host =
    config.host === "0.0.0.0" || config.host === "::"
      ? "localhost"
      : config.host.includes(":")
        ? `[${config.host}]`
        : config.host;
  const base = config.publicUrl ?? `http://${host}:${port}`;

  return {
    url: base,
    graphqlUrl: `${base}/graphql`,
    server: httpServer,
    services,
    metrics,
    async stop() {
      await apollo.stop();
      await services.jobs.stop(JOBS_DRAIN_MS);
      await services.close();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
