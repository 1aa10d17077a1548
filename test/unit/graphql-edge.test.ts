import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * GraphQL stays at the edge: services, stores, loaders, the engine, scoring and the jobs can be
 * used from a job, the CLI or a test without loading type-graphql, so none of them imports
 * `graphql`, `type-graphql` or a GraphQL file of a module (*.type, *.input, *.resolver), not even
 * for a type. Resolvers map the plain values they get to the schema.
 */
const SRC = join(import.meta.dirname, "../../src");
const DOMAIN_FOLDERS = ["engine", "scoring", "jobs", "alerts", "db", "lib", "live", "modules"];
const EDGE_FILE = /\.(type|input|resolver)\.ts$/;
const GRAPHQL_IMPORT =
  /^\s*(?:import|export)\b[^;]*?from\s+["']((?:type-)?graphql(?:\/[^"']*)?|[^"']*\.(?:type|input|resolver)\.js)["']/gm;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function graphqlImports(source: string): string[] {
  return [...source.matchAll(GRAPHQL_IMPORT)].map((match) => match[1]!);
}

describe("GraphQL at the edge", () => {
  it("finds an import of type-graphql, graphql or a module's GraphQL file", () => {
    expect(graphqlImports('import { Field } from "type-graphql";\nimport type { X } from "../a/a.type.js";')).toEqual([
      "type-graphql",
      "../a/a.type.js",
    ]);
    expect(graphqlImports('import type {\n  GraphQLError,\n} from "graphql";\nimport { a } from "./a.store.js";')).toEqual([
      "graphql",
    ]);
  });

  it("no domain file imports GraphQL", () => {
    const files = DOMAIN_FOLDERS.flatMap((folder) => filesUnder(join(SRC, folder)));
    expect(files.length).toBeGreaterThan(100);
    const offending = files
      .filter((path) => !EDGE_FILE.test(path))
      .flatMap((path) => graphqlImports(readFileSync(path, "utf8")).map((from) => `${relative(SRC, path)} imports ${from}`));
    expect(offending).toEqual([]);
  });
});
