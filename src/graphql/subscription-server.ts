import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Viewer } from "../auth/authenticate.js";
import type { Config } from "../config/config.js";
import { AppError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import type { Context } from "./context.js";
import { errorFormatter, isUnexpected, withoutSuggestions } from "./format-error.js";
import { costLimitError, limitValidationRules } from "./limits.js";
import { subscribeEventByEvent } from "./subscription-events.js";

/** A subscription message is a query and its variables; anything near this size is not one. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** Each subscription holds a listener and a little memory; a client needs a handful. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

export interface SubscriptionServerOptions {
  httpServer: Server;
  /** The GraphQL path: WebSocket upgrades there are subscriptions, POSTs stay with Apollo. */
  path: string;
  schema: GraphQLSchema;
  limits: Config["graphql"];
  /** The viewer of an Authorization header (none: anonymous); throws UNAUTHENTICATED for a credential that does not hold. */
  authenticate(authorization: string | undefined): Promise<Viewer | null>;
  /** A context like an HTTP request's. */
  createContext(viewer: Viewer | null, requestId: string): Context;
  log: Logger;
}

/** What a connection keeps between its messages: the credential it was opened with. */
interface Connection {
  id: string;
  authorization: string | undefined;
  viewer: Viewer | null;
}

/**
 * The credential of a connection_init payload, as an Authorization header: `authorization` (or
 * `Authorization`) is "Bearer <token>", `token` is the bare token. Anything else given there is
 * passed on as it is, so that it fails as a malformed credential rather than pass as anonymous.
 */
export function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const header = params?.authorization ?? params?.Authorization;
  if (header !== undefined && header !== null && header !== "") return String(header);
  const token = params?.token;
  if (token !== undefined && token !== null && token !== "") return typeof token === "string" ? `Bearer ${token}` : String(token);
  return undefined;
}

const isDenial = (error: unknown) =>
  error instanceof AppError && (error.code === "FORBIDDEN" || error.code === "UNAUTHENTICATED");

/** An event refused as a whole (the credential or the subscription's own rule), not one nested field. */
const isRefusedEvent = (result: ExecutionResult) =>
  result.errors?.some((error) => (error.path?.length ?? 0) <= 1 && isDenial(error.originalError)) ?? false;

function clientError(message: string, code: string, from?: GraphQLError): GraphQLError {
  return new GraphQLError(message, {
    nodes: from?.nodes,
    source: from?.source,
    positions: from?.positions,
    extensions: { ...from?.extensions, code },
  });
}

/**
 * GraphQL subscriptions over WebSocket (the graphql-ws protocol, "graphql-transport-ws") on the
 * HTTP server's GraphQL path, under the rules of HTTP requests: the same credentials (in
 * connectionParams, checked at connection_init: a bad one closes the socket with 4401 and the
 * reason), the same depth, alias and cost limits, the same permission rules and error codes.
 * Only subscriptions: queries and mutations go to POST, where Apollo logs, meters and caches them.
 *
 * Each event is executed like a request of its own: the connection's credential is checked again
 * and the event gets fresh loaders and permission answers, so an expired token, a deactivated
 * account or a lost team membership ends the subscription with UNAUTHENTICATED or FORBIDDEN.
 */
export function serveSubscriptions(options: SubscriptionServerOptions): { dispose(): Promise<void> } {
  const { schema, limits, log } = options;
  const validationRules = [...specifiedRules, ...limitValidationRules(limits)];
  const connectionOf = new WeakMap<Context, Connection>();
  const formatError = errorFormatter({ hideSchemaDetails: limits.hideSchemaDetails });

  function formatForClient(error: GraphQLError): GraphQLFormattedError {
    // graphql-ws wraps an error thrown by a stream without a path; the domain error is inside.
    const original = error.path ? error : (error.originalError ?? error);
    if (isUnexpected(original)) log.error({ err: error.originalError ?? error }, "unexpected error in a subscription");
    const { http: _http, ...extensions } = error.extensions ?? {};
    return formatError({ ...error.toJSON(), extensions }, original);
  }

  /** An event, as a request of its own: its viewer authenticated again, its context new. */
  async function executeEvent(args: ExecutionArgs, event: unknown): Promise<ExecutionResult> {
    const subscription = args.contextValue as Context;
    const connection = connectionOf.get(subscription)!;
    let viewer: Viewer | null;
    try {
      viewer = await options.authenticate(connection.authorization);
    } catch (error) {
      return {
        errors: [new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error })],
      };
    }
    const contextValue = options.createContext(viewer, subscription.requestId);
    return execute({ ...args, rootValue: event, contextValue });
  }

  function prepare(
    connection: Connection,
    id: string,
    payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  ) {
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (error) {
      return [clientError((error as GraphQLError).message, "GRAPHQL_PARSE_FAILED", error as GraphQLError)];
    }
    const invalid = validate(schema, document, validationRules);
    if (invalid.length > 0) {
      // As Apollo does with hideSchemaDetailsFromClientErrors: suggestions would reveal the schema.
      const message = (error: GraphQLError) => (limits.hideSchemaDetails ? withoutSuggestions(error.message) : error.message);
      return invalid.map((error) => clientError(message(error), "GRAPHQL_VALIDATION_FAILED", error));
    }
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return [clientError("Unable to identify the operation: name one with operationName", "BAD_REQUEST")];
    if (operation.operation !== "subscription") {
      return [
        clientError(
          `Only subscriptions are served over WebSocket; send a ${operation.operation} to POST ${options.path}`,
          "BAD_REQUEST",
        ),
      ];
    }
    const tooCostly = costLimitError(schema, limits.maxCost, {
      document,
      operationName: payload.operationName,
      variables: payload.variables,
    });
    if (tooCostly) return [tooCostly];
    const requestId = `${connection.id}/${id}`;
    const contextValue = options.createContext(connection.viewer, requestId);
    connectionOf.set(contextValue, connection);
    return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
  }

  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: MAX_MESSAGE_BYTES });
  const server = useServer<Record<string, unknown>, { connection: Connection }>(
    {
      async onConnect(ctx) {
        const authorization = authorizationOf(ctx.connectionParams);
        try {
          const viewer = await options.authenticate(authorization);
          ctx.extra.connection = { id: randomUUID(), authorization, viewer };
          return true;
        } catch (error) {
          // Refused like an HTTP 401, with the reason; graphql-ws's own refusal would be a bare 4403 "Forbidden".
          if (error instanceof AppError) ctx.extra.socket.close(CloseCode.Unauthorized, error.message);
          else {
            log.error({ err: error }, "could not authenticate a WebSocket connection");
            ctx.extra.socket.close(CloseCode.InternalServerError, "Internal server error");
          }
          return false;
        }
      },
      onSubscribe(ctx, id, payload) {
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [clientError(`At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`, "BAD_REQUEST")];
        }
        return prepare(ctx.extra.connection!, id, payload);
      },
      subscribe: (args) => subscribeEventByEvent(args, (event) => executeEvent(args, event), isRefusedEvent),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map(formatForClient) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map(formatForClient),
    },
    wsServer,
  );
  return {
    dispose: async () => {
      await server.dispose();
    },
  };
}
