import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { ArgumentValidationError } from "type-graphql";
import { describe, expect, it } from "vitest";
import { formatError, isUnexpected } from "../../src/graphql/format-error.js";
import { AppError, notFound } from "../../src/lib/errors.js";

/**
 * Builds what Apollo hands formatError for an error thrown in a resolver: the GraphQLError wrapping
 * the original (with a path), and its formatted form, stack trace included, as Apollo would in
 * development.
 */
function fromResolver(original: Error): { formatted: GraphQLFormattedError; error: GraphQLError } {
  const error = new GraphQLError(original.message, {
    path: ["users", 0, "teams"],
    originalError: original,
    extensions: (original as { extensions?: Record<string, unknown> }).extensions,
  });
  const formatted: GraphQLFormattedError = {
    message: error.message,
    locations: [{ line: 1, column: 3 }],
    path: ["users", 0, "teams"],
    extensions: {
      code: "INTERNAL_SERVER_ERROR",
      ...error.extensions,
      stacktrace: (original.stack ?? "").split("\n"),
    },
  };
  return { formatted, error };
}

/** A node-postgres error as it reaches a resolver when a query fails. */
function fakePgError(): Error {
  return Object.assign(new Error('relation "x" does not exist'), {
    code: "42P01",
    severity: "ERROR",
    position: "15",
    routine: "parserOpenTable",
    query: "SELECT secret_column FROM x WHERE id = $1",
  });
}

describe("formatError", () => {
  describe("unexpected errors", () => {
    it("turns a database error into a bare INTERNAL_SERVER_ERROR", () => {
      const { formatted, error } = fromResolver(fakePgError());
      const result = formatError(formatted, error);
      expect(result.message).toBe("Internal server error");
      expect(result.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
      expect(result.path).toEqual(["users", 0, "teams"]);
    });

    it("leaks no SQL, SQLSTATE or stack anywhere in the output", () => {
      const { formatted, error } = fromResolver(fakePgError());
      const text = JSON.stringify(formatError(formatted, error));
      for (const leak of [
        "relation",
        "does not exist",
        '\\"x\\"',
        "42P01",
        "SELECT",
        "secret_column",
        "stacktrace",
        "parserOpenTable",
        "    at ",
      ]) {
        expect(text).not.toContain(leak);
      }
    });

    it("hides a plain Error raised outside resolvers as well", () => {
      const original = new Error("connect ECONNREFUSED 10.0.0.5:5432");
      const formatted: GraphQLFormattedError = { message: original.message, extensions: { code: "INTERNAL_SERVER_ERROR" } };
      const result = formatError(formatted, original);
      expect(result).toEqual({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
      expect(JSON.stringify(result)).not.toContain("10.0.0.5");
    });

    it("hides a GraphQLError carrying a code it does not know", () => {
      const original = new GraphQLError("internal detail", { extensions: { code: "SOMETHING_ODD", detail: "secret" } });
      const { formatted, error } = fromResolver(original);
      const result = formatError(formatted, error);
      expect(result.message).toBe("Internal server error");
      expect(result.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
      expect(isUnexpected(error)).toBe(true);
    });
  });

  describe("domain errors (AppError)", () => {
    it("keeps the code and message of an AppError thrown in a resolver", () => {
      const { formatted, error } = fromResolver(new AppError("CONFLICT", "A team named Sales already exists"));
      const result = formatError(formatted, error);
      expect(result.message).toBe("A team named Sales already exists");
      expect(result.extensions).toEqual({ code: "CONFLICT" });
      expect(result.path).toEqual(["users", 0, "teams"]);
      expect(result.extensions).not.toHaveProperty("stacktrace");
      expect(isUnexpected(error)).toBe(false);
    });

    it("adds an AppError's details to its extensions, never overriding the code", () => {
      const { formatted, error } = fromResolver(notFound("User", 42));
      const result = formatError(formatted, error);
      expect(result.message).toBe("User 42 does not exist");
      expect(result.extensions).toEqual({ code: "NOT_FOUND", entity: "User", id: "42" });

      const sneaky = new AppError("FORBIDDEN", "no", { code: "INTERNAL_SERVER_ERROR" });
      expect(formatError(fromResolver(sneaky).formatted, fromResolver(sneaky).error).extensions?.code).toBe("FORBIDDEN");
    });
  });

  describe("client errors", () => {
    it("maps GRAPHQL_VALIDATION_FAILED to BAD_USER_INPUT and drops the stack trace", () => {
      const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      });
      const formatted: GraphQLFormattedError = {
        message: error.message,
        locations: [{ line: 1, column: 3 }],
        extensions: {
          code: "GRAPHQL_VALIDATION_FAILED",
          stacktrace: ["GraphQLError: ...", "    at validate (/app/node_modules/graphql/validation/validate.js:1:1)"],
        },
      };
      const result = formatError(formatted, error);
      expect(result.message).toBe('Cannot query field "nope" on type "Query".');
      expect(result.extensions?.code).toBe("BAD_USER_INPUT");
      expect(result.extensions?.reason).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(result.extensions).not.toHaveProperty("stacktrace");
      expect(result.locations).toEqual([{ line: 1, column: 3 }]);
      expect(JSON.stringify(result)).not.toContain("node_modules");
    });

    it("maps a parse failure to BAD_USER_INPUT too", () => {
      const error = new GraphQLError("Syntax Error: Expected Name, found <EOF>.", {
        extensions: { code: "GRAPHQL_PARSE_FAILED" },
      });
      const result = formatError({ message: error.message, extensions: { code: "GRAPHQL_PARSE_FAILED" } }, error);
      expect(result.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "GRAPHQL_PARSE_FAILED" });
    });

    it("keeps the limit details of a limit error", () => {
      const extensions = { code: "BAD_USER_INPUT", limit: "MAX_QUERY_COST", cost: 50_000, maxCost: 20_000 };
      const error = new GraphQLError("Query cost 50000 exceeds the limit of 20000 (MAX_QUERY_COST)", { extensions });
      const result = formatError({ message: error.message, extensions }, error);
      expect(result.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "MAX_QUERY_COST", cost: 50_000, maxCost: 20_000 });
    });

    it("describes argument validation failures field by field", () => {
      const original = new ArgumentValidationError([
        {
          property: "input",
          constraints: {},
          children: [{ property: "email", constraints: { isEmail: "email must be an email" }, children: [] }],
        },
      ] as unknown as ConstructorParameters<typeof ArgumentValidationError>[0]);
      const { formatted, error } = fromResolver(original);
      const result = formatError(formatted, error);
      expect(result.message).toBe("input.email: must be an email");
      expect(result.extensions).toEqual({
        code: "BAD_USER_INPUT",
        fields: [{ field: "input.email", message: "must be an email" }],
      });
    });

    it("passes UNAUTHENTICATED and FORBIDDEN through with only their code", () => {
      for (const code of ["UNAUTHENTICATED", "FORBIDDEN"]) {
        const error = new GraphQLError("Not allowed", { extensions: { code, http: { status: 401 }, internal: "x" } });
        const result = formatError({ message: "Not allowed", extensions: { code, internal: "x" } }, error);
        expect(result).toEqual({ message: "Not allowed", extensions: { code } });
      }
    });
  });
});

describe("formatError: the database unavailable", () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: "FATAL" });
  const unavailable = {
    "a fast shutdown ending the session (57P01)": pgError("57P01", "terminating connection due to administrator command"),
    "a server starting up (57P03)": pgError("57P03", "the database system is starting up"),
    "a connection exception (08006)": pgError("08006", "connection failure"),
    "a refused connection": Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
    "a connection lost mid-query": new Error("Connection terminated unexpectedly"),
    "a Drizzle query error wrapping one": new DrizzleQueryError(
      "select secret from users where id = $1",
      [42],
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
    ),
  };

  for (const [name, original] of Object.entries(unavailable)) {
    it(`is SERVICE_UNAVAILABLE, and not unexpected, for ${name}`, () => {
      const { formatted, error } = fromResolver(original);
      const result = formatError(formatted, error);
      expect(result.extensions).toEqual({ code: "SERVICE_UNAVAILABLE" });
      expect(result.message).toBe("The database is unavailable; try again shortly");
      expect(isUnexpected(error)).toBe(false);
    });
  }

  it("is an internal error for an HTTP API that refused a connection (fetch's cause), or a failed statement", () => {
    const refused = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443"), { code: "ECONNREFUSED" }),
    });
    for (const original of [refused, fakePgError()]) {
      const { formatted, error } = fromResolver(original);
      expect(formatError(formatted, error).extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    }
  });
});
