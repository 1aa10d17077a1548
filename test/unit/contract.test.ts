import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { buildBareSchema, printSortedSchema } from "../../src/graphql/schema.js";

const run = promisify(execFile);
const CHECKER = new URL("../../../shared/api/check-contract.mjs", import.meta.url);

describe("the public contract", () => {
  it("schema.graphql is what the code emits (run `npm run schema` after changing a type)", async () => {
    const committed = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(printSortedSchema(await buildBareSchema()));
  });

  it("schema.graphql has everything of ../shared/api/contract.graphql", async () => {
    const gaps = await run(process.execPath, [CHECKER.pathname, "schema.graphql"]).then(
      ({ stdout }) => stdout,
      (error: { stdout: string }) => error.stdout,
    );
    const lines = gaps.split("\n").filter((line) => line && !line.startsWith("contract:"));
    expect(lines).toEqual([]);
    expect(gaps).toMatch(/contract: all present/);
  });
});
