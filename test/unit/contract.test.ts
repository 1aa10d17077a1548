import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { buildBareSchema, printSortedSchema } from "../../src/server/schema.js";

const run = promisify(execFile);
// The contract sits beside the project (../shared); a clone elsewhere finds it through CONTRACT_CHECKER
// or the workspace's copy, and says so when it has none (the checker is not part of this repository).
const CHECKER = [
  process.env.CONTRACT_CHECKER,
  new URL("../../../shared/api/check-contract.mjs", import.meta.url).pathname,
  "/work/shared/api/check-contract.mjs",
].find((path): path is string => !!path && existsSync(path));
if (!CHECKER) console.warn("contract test skipped: ../shared/api/check-contract.mjs not found (set CONTRACT_CHECKER)");

describe("the public contract", () => {
  it("schema.graphql is what the code emits (run `npm run schema` after changing a type)", async () => {
    const committed = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(printSortedSchema(await buildBareSchema()));
  });

  it.skipIf(!CHECKER)("schema.graphql has everything of ../shared/api/contract.graphql", async () => {
    const gaps = await run(process.execPath, [CHECKER!, "schema.graphql"]).then(
      ({ stdout }) => stdout,
      (error: { stdout: string }) => error.stdout,
    );
    const lines = gaps.split("\n").filter((line) => line && !line.startsWith("contract:"));
    expect(lines).toEqual([]);
    expect(gaps).toMatch(/contract: all present/);
  });
});
