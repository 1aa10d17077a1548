import pg from "pg";
import { describe, expect, it } from "vitest";
import { timestamptzToDate, typeParsers } from "../../src/db/timestamps.js";

const nodePostgres = pg.types.getTypeParser(1184, "text");

describe("timestamps with time zone", () => {
  it.each([
    "2026-11-03 12:34:56.123456+00",
    "2026-11-03 12:34:56+00",
    "2026-11-03 12:34:56.1+05:30",
    "2026-11-03 23:59:59.999999-03",
    "1999-12-31 00:00:00+14",
    "2026-11-03 12:34:56+05:45:30",
    "0099-11-03 12:34:56+00",
    "2026-11-03 12:34:56+00 BC",
    "infinity",
    "-infinity",
  ])("reads %s as node-postgres does", (text) => {
    expect(timestamptzToDate(text)).toEqual(nodePostgres(text));
  });

  it("replaces only the parser of timestamptz text", () => {
    expect(typeParsers.getTypeParser(1184, "text")).toBe(timestamptzToDate);
    expect(typeParsers.getTypeParser(23, "text")).toBe(pg.types.getTypeParser(23, "text"));
    expect(typeParsers.getTypeParser(1184, "binary")).toBe(pg.types.getTypeParser(1184, "binary"));
  });
});
