import type { Response } from "express";
import { AppError, type ErrorCode } from "./errors.js";
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from "./unavailable.js";

/** Codes only the HTTP layer answers with, beside the domain's (lib/errors.ts): no service throws these. */
export type TransportErrorCode = "TOO_MANY_REQUESTS" | "SERVICE_UNAVAILABLE" | "INTERNAL_SERVER_ERROR";

export type HttpErrorCode = ErrorCode | TransportErrorCode;

/**
 * The HTTP status of each error code: the one mapping, used by the REST routes' answers and by the
 * statuses GraphQL sets for a whole request (a refused credential, an unavailable database, a limit).
 * A code added to either union fails the type check here until it has a status.
 */
export function httpStatus(code: HttpErrorCode): number {
  switch (code) {
    case "BAD_USER_INPUT":
      return 400;
    case "UNAUTHENTICATED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
      return 409;
    case "CALCULATION_FAILED":
      return 422;
    case "TOO_MANY_REQUESTS":
      return 429;
    case "INTERNAL_SERVER_ERROR":
      return 500;
    case "SERVICE_UNAVAILABLE":
      return 503;
    default: {
      const unmapped: never = code;
      throw new Error(`No HTTP status for error code ${String(unmapped)}`);
    }
  }
}

/** An error the HTTP layer itself raises (too many downloads at once, too many batched operations). */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    /** Shown beside the code, e.g. the name of the limit to raise. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Seconds a client is told to wait before trying again while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { errors: [{ message: string; extensions: Record<string, unknown> & { code: HttpErrorCode } }] };
  /** Not an error of the client's nor an outage: a bug, whose details are logged and never answered. */
  unexpected: boolean;
}

export interface ErrorAnswerOptions {
  /** What a request whose body is over the route's limit is told (the setting to raise, say). */
  tooLarge?: string;
}

/**
 * What a REST route answers for `error`, shaped as GraphQL's errors so that clients read every error
 * of the server alike: `{ errors: [{ message, extensions: { code } }] }`, the status from httpStatus.
 * A domain error (AppError) keeps its code and message; a database that is unavailable is 503 with
 * Retry-After; a request Express refused before any route ran (a body too large, malformed or in an
 * unknown charset) keeps the status the body parser gave it, as BAD_USER_INPUT; anything else is a
 * bare 500: no message, stack or SQL of the error reaches the client.
 */
export function errorAnswer(error: unknown, options: ErrorAnswerOptions = {}): ErrorAnswer {
  if (error instanceof AppError) return answer(error.code, error.message);
  if (error instanceof HttpError) return answer(error.code, error.message, { extensions: error.extensions });
  if (isDatabaseUnavailable(error)) {
    return answer("SERVICE_UNAVAILABLE", DATABASE_UNAVAILABLE_MESSAGE, {
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    });
  }
  const refused = refusedRequest(error);
  if (refused) {
    const message =
      refused.type === "entity.too.large" ? (options.tooLarge ?? "Request body is too large") : "Malformed request body";
    return answer("BAD_USER_INPUT", message, { status: refused.status });
  }
  return answer("INTERNAL_SERVER_ERROR", "Internal server error", { unexpected: true });
}

/**
 * Answers a REST request with `error` (errorAnswer), logging an unexpected one with the request's
 * id under `logAs`: the log has what the answer hides.
 */
export function sendError(res: Response, error: unknown, options: ErrorAnswerOptions & { logAs?: string } = {}): void {
  const { status, headers, body, unexpected } = errorAnswer(error, options);
  if (unexpected) res.req.log.error({ err: error }, options.logAs ?? "unhandled error");
  res.set(headers).status(status).json(body);
}

function answer(
  code: HttpErrorCode,
  message: string,
  more: { status?: number; headers?: Record<string, string>; extensions?: Record<string, unknown>; unexpected?: boolean } = {},
): ErrorAnswer {
  return {
    status: more.status ?? httpStatus(code),
    headers: more.headers ?? {},
    body: { errors: [{ message, extensions: { ...more.extensions, code } }] },
    unexpected: more.unexpected ?? false,
  };
}

/** Express's and its body parsers' own errors carry a 4xx status: the request was refused before any route ran. */
function refusedRequest(error: unknown): { status: number; type?: unknown } | undefined {
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  return typeof status === "number" && status >= 400 && status < 500 ? { status, type } : undefined;
}
