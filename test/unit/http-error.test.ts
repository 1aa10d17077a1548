import type { Response } from "express";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it, vi } from "vitest";
import { AppError, badInput, forbidden, notFound, unauthenticated } from "../../src/lib/errors.js";
import {
  errorAnswer,
  HttpError,
  httpStatus,
  RETRY_AFTER_SECONDS,
  sendError,
  type HttpErrorCode,
} from "../../src/lib/http-error.js";
import { DATABASE_UNAVAILABLE_MESSAGE } from "../../src/lib/unavailable.js";

/** The one mapping from error codes to HTTP statuses, and the one error body of the REST routes. */
describe("httpStatus", () => {
  it("gives every code its status", () => {
    const statuses: Record<HttpErrorCode, number> = {
      BAD_USER_INPUT: 400,
      UNAUTHENTICATED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      CONFLICT: 409,
      CALCULATION_FAILED: 422,
      TOO_MANY_REQUESTS: 429,
      INTERNAL_SERVER_ERROR: 500,
      SERVICE_UNAVAILABLE: 503,
    };
    for (const [code, status] of Object.entries(statuses)) expect(httpStatus(code as HttpErrorCode), code).toBe(status);
  });

  it("accepts only the codes of the union", () => {
    // @ts-expect-error: not an error code of ours
    expect(() => httpStatus("I_AM_A_TEAPOT")).toThrow(/No HTTP status/);
  });
});

describe("errorAnswer", () => {
  const body = (message: string, code: string, extensions: Record<string, unknown> = {}) => ({
    errors: [{ message, extensions: { ...extensions, code } }],
  });

  it("answers a domain error with its code, its status and its message, not its details", () => {
    expect(errorAnswer(notFound("KpiDefinition", 999))).toEqual({
      status: 404,
      headers: {},
      body: body("KpiDefinition 999 does not exist", "NOT_FOUND"),
      unexpected: false,
    });
    expect(errorAnswer(unauthenticated()).status).toBe(401);
    expect(errorAnswer(forbidden()).status).toBe(403);
    expect(errorAnswer(badInput("from", "must be a date")).body).toEqual(body("from: must be a date", "BAD_USER_INPUT"));
    expect(errorAnswer(new AppError("CONFLICT", "taken")).status).toBe(409);
  });

  it("answers the HTTP layer's own errors with their extensions", () => {
    const answer = errorAnswer(new HttpError("BAD_USER_INPUT", "Too many", { limit: "MAX_BATCH_OPERATIONS" }));
    expect(answer).toMatchObject({ status: 400, body: body("Too many", "BAD_USER_INPUT", { limit: "MAX_BATCH_OPERATIONS" }) });
    expect(errorAnswer(new HttpError("TOO_MANY_REQUESTS", "Retry shortly")).status).toBe(429);
  });

  it("answers an unavailable database with 503 and Retry-After", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    for (const error of [refused, new DrizzleQueryError("select 1", [], refused)]) {
      expect(errorAnswer(error)).toEqual({
        status: 503,
        headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
        body: body(DATABASE_UNAVAILABLE_MESSAGE, "SERVICE_UNAVAILABLE"),
        unexpected: false,
      });
    }
  });

  it("keeps the body parser's status for a body it refused, as BAD_USER_INPUT", () => {
    const tooLarge = Object.assign(new Error("request entity too large"), { status: 413, type: "entity.too.large" });
    expect(errorAnswer(tooLarge, { tooLarge: "larger than 1kb (BODY_LIMIT)" })).toMatchObject({
      status: 413,
      body: body("larger than 1kb (BODY_LIMIT)", "BAD_USER_INPUT"),
    });
    const malformed = Object.assign(new SyntaxError("Unexpected end of JSON input at JSON.parse"), {
      status: 400,
      type: "entity.parse.failed",
    });
    expect(errorAnswer(malformed)).toMatchObject({ status: 400, body: body("Malformed request body", "BAD_USER_INPUT") });
  });

  it("answers anything else with a bare 500: no message, stack or SQL of it", () => {
    const sql = new DrizzleQueryError(
      'select * from "users" where "email" = $1',
      ["eve@example.com"],
      Object.assign(new Error('relation "users" does not exist'), { code: "42P01" }),
    );
    for (const error of [sql, new TypeError("x is not a function"), "a string", undefined]) {
      const answer = errorAnswer(error);
      expect(answer).toEqual({
        status: 500,
        headers: {},
        body: body("Internal server error", "INTERNAL_SERVER_ERROR"),
        unexpected: true,
      });
    }
  });
});

describe("sendError", () => {
  function fakeResponse() {
    const log = { error: vi.fn() };
    const res = {
      req: { log },
      headers: {} as Record<string, string>,
      statusCode: 200,
      sent: undefined as unknown,
      set(headers: Record<string, string>) {
        Object.assign(this.headers, headers);
        return this;
      },
      status(code: number) {
        this.statusCode = code;
        return this;
      },
      json(value: unknown) {
        this.sent = value;
        return this;
      },
    };
    return { res, log, asExpress: res as unknown as Response };
  }

  it("sends the answer, logging an unexpected error under the given message", () => {
    const { res, log, asExpress } = fakeResponse();
    const bug = new Error("boom");
    sendError(asExpress, bug, { logAs: "export failed" });
    expect({ status: res.statusCode, body: res.sent }).toEqual({
      status: 500,
      body: { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] },
    });
    expect(log.error).toHaveBeenCalledWith({ err: bug }, "export failed");
  });

  it("sends a client's error and an outage with their headers, logging neither", () => {
    const { res, log, asExpress } = fakeResponse();
    sendError(asExpress, notFound("Team", 7));
    expect(res.statusCode).toBe(404);
    const outage = fakeResponse();
    sendError(outage.asExpress, Object.assign(new Error("Connection terminated unexpectedly"), {}));
    expect(outage.res.statusCode).toBe(503);
    expect(outage.res.headers).toEqual({ "retry-after": String(RETRY_AFTER_SECONDS) });
    expect(log.error).not.toHaveBeenCalled();
    expect(outage.log.error).not.toHaveBeenCalled();
  });
});
