import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { errorForLog } from "../../src/lib/log-serializers.js";

/** What a failed statement leaves in the logs: its shape and code, never the values people typed. */
describe("errorForLog", () => {
  const pgError = Object.assign(new Error('duplicate key value violates unique constraint "users_email_unique"'), {
    code: "23505",
    detail: "Key (email)=(eve@example.com) already exists.",
  });
  const failed = new DrizzleQueryError(
    'insert into "users" ("name", "email") values ($1, $2)',
    ["Eve\nSecret", "eve@example.com"],
    pgError,
  );

  it("keeps the statement and SQLSTATE, drops the parameters and the detail that quotes them", () => {
    const logged = JSON.stringify(errorForLog(failed));
    expect(logged).toContain('insert into \\"users\\" (\\"name\\", \\"email\\") values ($1, $2)');
    expect(logged).toContain("23505");
    expect(logged).not.toMatch(/eve@example\.com|Eve|Secret/);
  });

  it("does the same for an error pino-http has already serialized", async () => {
    const { stdSerializers } = await import("pino");
    const logged = JSON.stringify(errorForLog(stdSerializers.err(failed)));
    expect(logged).toContain("values ($1, $2)");
    expect(logged).not.toMatch(/eve@example\.com|Secret/);
  });

  it("leaves other errors as pino shows them", () => {
    const logged = errorForLog(new TypeError("x is not a function")) as { type: string; message: string };
    expect(logged).toMatchObject({ type: "TypeError", message: "x is not a function" });
  });
});
