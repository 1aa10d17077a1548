import type { Express, NextFunction, Request, Response } from "express";
import { AppError } from "../lib/errors.js";
import { sendError } from "../lib/http-error.js";

/**
 * The last handlers: a 404 for any path no route took, then the error handler of every route.
 * Malformed JSON and oversized bodies are the client's fault; anything else is ours and stays opaque.
 */
export function mountErrorHandlers(app: Express, options: { bodyLimit: string }): void {
  app.use((_req, res) => {
    sendError(res, new AppError("NOT_FOUND", "Not found"));
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, error, { tooLarge: `Request body is larger than ${options.bodyLimit} (BODY_LIMIT)` });
  });
}
