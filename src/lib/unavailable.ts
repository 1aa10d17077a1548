import { DrizzleQueryError } from "drizzle-orm/errors";

/** What a client is told when the database is unavailable, by GraphQL and the plain HTTP routes alike. */
export const DATABASE_UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly";

/** Socket errors of a database that is down, restarting or out of reach. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server that cannot serve right now: admin_shutdown (a fast or smart stop ended the
 * session), crash_shutdown, cannot_connect_now (starting up or shutting down), too_many_connections.
 * Class 08 (connection exception) is matched by its prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** What node-postgres says, without a code, about a connection that died or never came. */
const LOST_CONNECTION = /^Connection terminated|timeout exceeded when trying to connect|is not queryable/;

/**
 * Whether an error means the database is unavailable rather than that the statement was wrong: a
 * client may try again later. Looks through Drizzle's query error to the driver's, and no further,
 * so that an HTTP API that refused a connection (fetch's cause) is not taken for the database.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const driverError = error instanceof DrizzleQueryError ? error.cause : error;
  return typeof driverError === "object" && driverError !== null && isConnectionError(driverError);
}

function isConnectionError(error: object): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  return typeof message === "string" && LOST_CONNECTION.test(message);
}
