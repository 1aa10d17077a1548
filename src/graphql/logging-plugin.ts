import type { ApolloServerPlugin } from "@apollo/server";
import type { Context } from "./context.js";
import { statementsSoFar } from "../db/statement-counter.js";
import { isUnexpected } from "./format-error.js";

/** Logs each operation's outcome, and every unexpected error in full (the response shows none of it). */
export const loggingPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart({ contextValue }) {
    const started = performance.now();
    return {
      async didEncounterErrors({ errors, operationName }) {
        for (const error of errors) {
          if (isUnexpected(error))
            contextValue.log.error({ err: error.originalError ?? error, operationName }, "unexpected error");
        }
      },
      async willSendResponse({ operationName, errors }) {
        contextValue.log.debug(
          { operationName, ms: Math.round(performance.now() - started), errors: errors?.length ?? 0 },
          "graphql operation",
        );
      },
    };
  },
};

/** Reports the SQL statements the request ran in an x-sql-statements header (SQL_STATEMENT_HEADER). */
export const statementHeaderPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        response.http.headers.set("x-sql-statements", String(statementsSoFar() ?? 0));
      },
    };
  },
};
