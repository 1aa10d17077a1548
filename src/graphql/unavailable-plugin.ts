import type { ApolloServerPlugin } from "@apollo/server";
import type { Context } from "./context.js";
import { httpStatus, RETRY_AFTER_SECONDS } from "../lib/http-error.js";
import { SERVICE_UNAVAILABLE } from "./format-error.js";

/**
 * A request that met an unavailable database (formatError made it SERVICE_UNAVAILABLE) is answered
 * HTTP 503 with Retry-After, as /readyz is meanwhile: load balancers and clients know to retry,
 * where a 200 with errors would read as a final answer. The request's log line (pino-http, server/http-app.ts)
 * is then one warning without a stack: an outage would otherwise bury the log in identical traces.
 */
export const unavailablePlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== "single") return;
        const errors = response.body.singleResult.errors ?? [];
        if (!errors.some((error) => error.extensions?.code === SERVICE_UNAVAILABLE)) return;
        response.http.status = httpStatus(SERVICE_UNAVAILABLE);
        response.http.headers.set("retry-after", String(RETRY_AFTER_SECONDS));
      },
    };
  },
};
