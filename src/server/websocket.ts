import type { GraphQLSchema } from "graphql";
import type { Server } from "node:http";
import type { Authenticator } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import { serveSubscriptions } from "../graphql/subscription-server.js";
import type { Logger } from "../lib/logger.js";
import type { ContextFactory } from "./context.js";

export interface WebSocketDeps {
  httpServer: Server;
  schema: GraphQLSchema;
  limits: Config["graphql"];
  authenticator: Authenticator;
  contextFor: ContextFactory;
  log: Logger;
}

/**
 * GraphQL subscriptions (graphql-ws) on the HTTP server's upgrades to /graphql, with the
 * credentials, limits and contexts of HTTP requests. Dispose of it to close every connection.
 */
export function mountWebSockets(deps: WebSocketDeps): { dispose(): Promise<void> } {
  const { authenticator, contextFor, log } = deps;
  return serveSubscriptions({
    httpServer: deps.httpServer,
    path: "/graphql",
    schema: deps.schema,
    limits: deps.limits,
    authenticate: (authorization) => authenticator.fromAuthorizationHeader(authorization),
    createContext: (viewer, requestId) => contextFor(viewer, requestId, log.child({ requestId })),
    log,
  });
}
