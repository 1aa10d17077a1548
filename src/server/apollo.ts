import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { GraphQLError, type GraphQLSchema } from "graphql";
import type { Server } from "node:http";
import type pg from "pg";
import type { Authenticator } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import { countStatements } from "../db/statement-counter.js";
import type { Context } from "../graphql/context.js";
import { compiledExecution } from "../graphql/compiled-execution.js";
import { errorFormatter, SERVICE_UNAVAILABLE } from "../graphql/format-error.js";
import { batchLimit, costLimitPlugin, limitValidationRules } from "../graphql/limits.js";
import { loggingPlugin, statementHeaderPlugin } from "../graphql/logging-plugin.js";
import { metricsPlugin } from "../graphql/metrics-plugin.js";
import { createResponseCache } from "../graphql/response-cache.js";
import { textInputPlugin } from "../graphql/text-input.js";
import { unavailablePlugin } from "../graphql/unavailable-plugin.js";
import { AppError } from "../lib/errors.js";
import { httpStatus, RETRY_AFTER_SECONDS } from "../lib/http-error.js";
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from "../lib/unavailable.js";
import type { Metrics } from "../observability/metrics.js";
import type { ContextFactory } from "./context.js";

export interface ApolloDeps {
  schema: GraphQLSchema;
  limits: Config["graphql"];
  httpServer: Server;
  /** For the response cache, which asks the database whether what it holds is still current. */
  pool: pg.Pool;
  metrics: Metrics;
  authenticator: Authenticator;
  contextFor: ContextFactory;
  /** The WebSocket server: Apollo's stop() closes its connections (1001, going away) as it drains HTTP. */
  subscriptions: { dispose(): Promise<void> };
}

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

/**
 * Starts Apollo with its plugins and mounts it at POST/GET /graphql, behind the body parser, the
 * batch limit and the statement counter. Its stop() drains the HTTP server and the WebSockets.
 */
export async function mountApollo(app: Express, deps: ApolloDeps): Promise<ApolloServer<Context>> {
  const { schema, limits } = deps;
  const responseCache = limits.responseCacheMb > 0 ? createResponseCache(deps.pool, limits.responseCacheMb) : null;
  const closeSubscriptions: ApolloServerPlugin<Context> = {
    async serverWillStart() {
      return { drainServer: () => deps.subscriptions.dispose() };
    },
  };
  const apollo = new ApolloServer<Context>({
    gateway: compiledExecution(schema),
    formatError: errorFormatter({ hideSchemaDetails: limits.hideSchemaDetails }),
    includeStacktraceInErrorResponses: false,
    introspection: limits.introspection,
    hideSchemaDetailsFromClientErrors: limits.hideSchemaDetails,
    allowBatchedHttpRequests: true,
    ...(responseCache && { stringifyResult: responseCache.stringify }),
    // main.ts stops the server on SIGTERM/SIGINT; Apollo's own handler would race it and never let stop() finish.
    stopOnTerminationSignals: false,
    validationRules: limitValidationRules(limits),
    plugins: [
      costLimitPlugin(schema, limits.maxCost),
      textInputPlugin,
      loggingPlugin,
      metricsPlugin(deps.metrics),
      unavailablePlugin,
      ...(limits.sqlStatementHeader ? [statementHeaderPlugin] : []),
      ...(responseCache ? [responseCache.plugin] : []),
      ApolloServerPluginDrainHttpServer({ httpServer: deps.httpServer }),
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
    express.json({ limit: limits.bodyLimit }),
    batchLimit(limits.maxBatchOperations),
    // Counting is only for the x-sql-statements header: without it, requests skip the bookkeeping.
    (_req: Request, _res: Response, next: NextFunction) => (limits.sqlStatementHeader ? countStatements(next) : next()),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const viewer = await deps.authenticator.fromAuthorizationHeader(req.headers.authorization).catch(refuseCredential);
        return deps.contextFor(viewer, String(req.id), req.log);
      },
    }),
  );
  return apollo;
}

/** A credential that failed, as the GraphQL error the whole request answers with. */
function refuseCredential(error: unknown): never {
  if (error instanceof AppError) {
    throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: httpStatus(error.code) } } });
  }
  // Authentication reads the database: while it is down, every request fails here first.
  if (isDatabaseUnavailable(error)) {
    throw new GraphQLError(DATABASE_UNAVAILABLE_MESSAGE, {
      extensions: {
        code: SERVICE_UNAVAILABLE,
        http: { status: httpStatus(SERVICE_UNAVAILABLE), headers: new Map([["retry-after", String(RETRY_AFTER_SECONDS)]]) },
      },
    });
  }
  throw error;
}
