import { readdirSync, readFileSync } from "node:fs";
import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { buildBareSchema } from "../../src/server/schema.js";

const folder = new URL("../../examples/operations/", import.meta.url);

describe("example operations (README, codegen)", () => {
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".graphql"))) {
    it(`${file} is valid against the schema`, async () => {
      const errors = validate(await buildBareSchema(), parse(readFileSync(new URL(file, folder), "utf8")));
      expect(errors.map((error) => error.message)).toEqual([]);
    });
  }
});
