import { unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLFormattedError } from "graphql";
import { ArgumentValidationError } from "type-graphql";
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from "../lib/unavailable.js";
import { AppError } from "../lib/errors.js";

// Apollo's own codes for requests that are wrong on the client's side; the contract knows them all as BAD_USER_INPUT.
const CLIENT_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);
const PASS_THROUGH_CODES = new Set(["UNAUTHENTICATED", "FORBIDDEN", "SERVICE_UNAVAILABLE"]);

/** The code of any request that needed the database while it was unavailable (HTTP 503). */
export const SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE" as const;

/** The error a resolver or the context met, under GraphQL's wrapping. */
function causeOf(error: unknown): unknown {
  const original = unwrapResolverError(error);
  return (original as { originalError?: unknown })?.originalError ?? original;
}

interface ValidationFailure {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationFailure[];
}

function describeValidation(errors: ValidationFailure[], prefix = ""): Array<{ field: string; message: string }> {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(`${error.property} `, ""),
    }));
    return [...own, ...describeValidation(error.children ?? [], field)];
  });
}

/**
 * The one place where errors become responses: domain errors keep their code and message, client
 * errors become BAD_USER_INPUT, a database that is down or restarting becomes SERVICE_UNAVAILABLE
 * (HTTP 503: try again), and anything unexpected becomes a bare INTERNAL_SERVER_ERROR — no stack,
 * no SQL. Unexpected errors are logged by the logging plugin with the request id.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };

  if (original instanceof AppError) {
    return { ...base, message: original.message, extensions: { ...original.details, code: original.code } };
  }
  if (isDatabaseUnavailable(causeOf(error))) {
    return { ...base, message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: SERVICE_UNAVAILABLE } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = describeValidation(original.extensions.validationErrors as ValidationFailure[]);
    const message = fields.map((f) => `${f.field}: ${f.message}`).join("; ") || "Invalid input";
    return { ...base, message, extensions: { code: "BAD_USER_INPUT", fields } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === "string" && CLIENT_ERROR_CODES.has(code)) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...base, message: formatted.message, extensions: { ...extensions, code: "BAD_USER_INPUT", reason: code } };
  }
  if (typeof code === "string" && PASS_THROUGH_CODES.has(code)) {
    return { ...base, message: formatted.message, extensions: { code } };
  }
  return { ...base, message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
}

/**
 * The client-error formatter Apollo uses. With `hideSchemaDetails` (production) graphql-js's
 * suggestions are cut from every client error, not only from validation errors as Apollo's
 * hideSchemaDetailsFromClientErrors does: a variable's value errors carry them too ("Did you mean
 * "name"?", "Did you mean the enum value "ADMIN"?"), naming input fields and enum values while
 * introspection is off.
 */
export function errorFormatter(options: { hideSchemaDetails: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = formatError(formatted, error);
    if (!options.hideSchemaDetails || result.extensions?.code !== "BAD_USER_INPUT") return result;
    return { ...result, message: withoutSuggestions(result.message) };
  };
}

/** A graphql-js message without its "Did you mean …?" suggestions. */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean [^?]*\?/g, "");
}

export function isUnexpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof AppError || original instanceof ArgumentValidationError) return false;
  if (isDatabaseUnavailable(causeOf(error))) return false;
  const code = (original as { extensions?: { code?: unknown } })?.extensions?.code;
  return !(typeof code === "string" && (CLIENT_ERROR_CODES.has(code) || PASS_THROUGH_CODES.has(code)));
}
