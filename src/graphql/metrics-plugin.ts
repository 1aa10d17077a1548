import type { ApolloServerPlugin } from "@apollo/server";
import type { Metrics } from "../observability/metrics.js";
import type { Context } from "./context.js";

/**
 * Times each GraphQL operation (each one of a batch on its own) from the start of Apollo's request
 * to its response, by operation name; "error" when the response carries errors. Requests refused
 * before Apollo runs an operation (malformed JSON, too many batched operations, bad credentials)
 * are not operations and are not recorded.
 */
export function metricsPlugin(metrics: Metrics): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, errors, response }) {
          const failed =
            (errors?.length ?? 0) > 0 ||
            (response.body.kind === "single" && (response.body.singleResult.errors?.length ?? 0) > 0);
          metrics.observeGraphqlRequest(operationName ?? null, (performance.now() - started) / 1000, failed ? "error" : "ok");
        },
      };
    },
  };
}
