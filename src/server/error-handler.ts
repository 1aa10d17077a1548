import type { Express, NextFunction, Request, Response } from "express";
import { sendError, sendUnavailable } from "../lib/http-error.js";
import { isDatabaseUnavailable } from "../lib/unavailable.js";

/**
 * The last handlers: a 404 for any path no route took, then the error handler of every route.
 * Malformed JSON and oversized bodies are the client's fault; anything else is ours and stays opaque.
 */
export function mountErrorHandlers(app: Express, options: { bodyLimit: string }): void {
  app.use((_req, res) => {
    res.status(404).json({ error: "Not found" });
  });

  app.use((error: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    // A route (exports, the recalculate hook) that met an unavailable database: try again, as GraphQL says.
    if (isDatabaseUnavailable(error)) return sendUnavailable(res);
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) req.log.error({ err: error }, "unhandled error");
    const message =
      error.type === "entity.too.large"
        ? `Request body is larger than ${options.bodyLimit} (BODY_LIMIT)`
        : status === 500
          ? "Internal server error"
          : "Malformed request body";
    sendError(res, status, status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_USER_INPUT", message);
  });
}
