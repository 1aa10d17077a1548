import type { Response } from "express";
import { DATABASE_UNAVAILABLE_MESSAGE } from "./unavailable.js";

/**
 * An error answer of a plain HTTP route (webhooks, exports, malformed bodies), shaped as GraphQL's
 * so that clients read every error of the server alike: `{ errors: [{ message, extensions: { code } }] }`.
 */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** Seconds a client is told to wait before trying again while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

/** The answer of a plain HTTP route that met an unavailable database: 503 with Retry-After, as GraphQL's. */
export function sendUnavailable(res: Response): void {
  res.set("retry-after", String(RETRY_AFTER_SECONDS));
  sendError(res, 503, "SERVICE_UNAVAILABLE", DATABASE_UNAVAILABLE_MESSAGE);
}
