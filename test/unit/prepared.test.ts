import pg from "pg";
import { describe, expect, it } from "vitest";
import { allowPreparedStatements, prepared } from "../../src/db/prepared.js";

describe("prepared statements", () => {
  it("names a statement only on a pool whose connections have sessions of their own", () => {
    const embedded = new pg.Pool();
    const server = new pg.Pool();
    allowPreparedStatements(server);
    expect(prepared(server, "latest", "SELECT $1", [1])).toEqual({ name: "latest", text: "SELECT $1", values: [1] });
    expect(prepared(embedded, "latest", "SELECT $1", [1])).toEqual({ text: "SELECT $1", values: [1] });
  });
});
