import cors from "cors";
import type { RequestHandler } from "express";

/**
 * Cross-origin access for dashboards served from other origins (CORS_ORIGINS). Clients send bearer
 * tokens, never cookies, so credentials stay off: a listed origin gets nothing a script of its own
 * could not get with the token it already holds. Origins not listed get no CORS headers, so their
 * browsers keep the answers from their pages. Apollo's CSRF prevention stays on: a cross-origin
 * POST must be JSON or carry a non-simple header, which forces the preflight answered here.
 */
export function crossOriginAccess(origins: readonly string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: false,
    methods: ["GET", "POST"],
    allowedHeaders: ["authorization", "content-type", "apollo-require-preflight", "x-apollo-operation-name", "x-request-id"],
    // What a cross-origin script may read: the request id to quote, Retry-After of a 429, an export's file name.
    exposedHeaders: ["x-request-id", "retry-after", "content-disposition"],
    maxAge: 600,
  });
}
