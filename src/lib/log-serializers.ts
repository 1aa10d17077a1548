import { stdSerializers } from "pino";
import { isDatabaseUnavailable } from "./unavailable.js";

/** Fields of database errors that can quote the values of a statement (pg: detail "Key (email)=(…)", where). */
const VALUE_FIELDS = ["params", "parameters", "detail", "where", "internalQuery"];

type Serialized = Record<string, unknown>;

/**
 * An error as the logs show it. A failed SQL statement keeps its text (the statement's shape, with
 * $1, $2 … placeholders) and its SQLSTATE, never the parameter values: those are what people typed,
 * names and e-mails included. Drizzle puts them in its message ("Failed query: … params: …").
 */
export function errorForLog(error: unknown): unknown {
  // A database that is down is a condition, not a bug: its message and code say all, and a stack on
  // every failed poll and request of an outage would bury the log.
  if (error instanceof Error && isDatabaseUnavailable(error)) {
    const driverError = (isDatabaseUnavailable(error.cause) ? error.cause : error) as Error & { code?: unknown };
    return { type: driverError.name, message: driverError.message, code: driverError.code };
  }
  if (error instanceof Error) {
    const serialized = scrub(stdSerializers.err(error) as unknown as Serialized, 0);
    // pino folds a cause into the stack text; the database's SQLSTATE is worth a field of its own.
    const sqlState = (error.cause as { code?: unknown } | undefined)?.code;
    return typeof sqlState === "string" && serialized.code === undefined ? { ...serialized, code: sqlState } : serialized;
  }
  // pino-http hands its error serializer an error already serialized by pino's standard one.
  if (error && typeof error === "object") return scrub(error as Serialized, 0);
  return error;
}

function scrub(error: Serialized, depth: number): Serialized {
  const scrubbed: Serialized = { ...error };
  for (const field of VALUE_FIELDS) delete scrubbed[field];
  if (typeof scrubbed.message === "string") scrubbed.message = withoutParams(scrubbed.message);
  if (typeof scrubbed.stack === "string") scrubbed.stack = withoutParams(scrubbed.stack);
  const cause = scrubbed.cause;
  if (cause instanceof Error) scrubbed.cause = scrub(stdSerializers.err(cause) as unknown as Serialized, depth + 1);
  else if (cause && typeof cause === "object" && depth < 5) scrubbed.cause = scrub(cause as Serialized, depth + 1);
  return scrubbed;
}

/** Drizzle's "\nparams: a,b,c" up to the first stack frame (a value may span lines). */
function withoutParams(text: string): string {
  return text.replace(/\nparams: [\s\S]*?(?=\n {4}at |$)/, "\nparams: [not logged]");
}
