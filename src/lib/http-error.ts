import type { Response } from "express";

/**
 * An error answer of a plain HTTP route (webhooks, exports, malformed bodies), shaped as GraphQL's
 * so that clients read every error of the server alike: `{ errors: [{ message, extensions: { code } }] }`.
 */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}
