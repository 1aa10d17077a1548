import { readdirSync, readFileSync } from "node:fs";
import { parse, validate, type GraphQLSchema } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBareSchema } from "../../src/server/schema.js";

/**
 * Every ```graphql block of the README and docs/ is an operation that must stay valid against the
 * schema. A block that is deliberately not an operation (SDL, a fragment shown alone) is fenced as
 * ```graphql-sdl or ```text instead, so this test never has to guess.
 */
const root = new URL("../../", import.meta.url);

function markdownFiles(): string[] {
  const docs = readdirSync(new URL("docs/", root), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".md"))
    .map((path) => `docs/${path}`);
  return ["README.md", "CONTRIBUTING.md", ...docs].sort();
}

function graphqlBlocks(markdown: string): Array<{ line: number; source: string }> {
  const blocks: Array<{ line: number; source: string }> = [];
  for (const match of markdown.matchAll(/^( *)```graphql\n([\s\S]*?)^\1```$/gm)) {
    const line = markdown.slice(0, match.index).split("\n").length;
    // Blocks indented in a list item carry the item's indentation on every line.
    const source = match[2]!.replace(new RegExp(`^${match[1]}`, "gm"), "");
    blocks.push({ line, source });
  }
  return blocks;
}

const operations = markdownFiles().flatMap((file) =>
  graphqlBlocks(readFileSync(new URL(file, root), "utf8")).map((block) => ({ file, ...block })),
);

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildBareSchema();
});

describe("GraphQL operations in the documentation", () => {
  it("finds the operations (the checks below are not vacuous)", () => {
    expect(operations.length).toBeGreaterThan(10);
    expect(graphqlBlocks("text\n```graphql\n{ me { id } }\n```\n  ```graphql\n  { teams { id } }\n  ```\n")).toEqual([
      { line: 2, source: "{ me { id } }\n" },
      { line: 5, source: "{ teams { id } }\n" },
    ]);
  });

  for (const { file, line, source } of operations) {
    it(`${file}:${line} is valid against the schema`, () => {
      expect(validate(schema, parse(source)).map((error) => error.message)).toEqual([]);
    });
  }
});

describe("deploy/nginx.conf", () => {
  it("is the configuration docs/deploy.md shows", () => {
    const page = readFileSync(new URL("docs/deploy.md", root), "utf8");
    const shown = /```nginx\n([\s\S]*?)```/.exec(page)?.[1];
    const file = readFileSync(new URL("deploy/nginx.conf", root), "utf8").replace(/^#.*\n/, "");
    expect(file).toBe(shown);
  });
});
