import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_VARIABLE_PATTERNS, ENV_VARIABLES } from "../../src/config/config.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/** The variables a page names in its tables: ALL_CAPS names in backticks in a row's first cell. */
function documentedVariables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split("\n")) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!firstCell) continue;
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]*(?:<NAME>[A-Z0-9_]*)?)`/g)) names.add(name!);
  }
  return names;
}

/** The variables .env.example sets or shows commented out: `# NAME=` or `NAME=` at a line's start. */
function exampleVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*(?:<NAME>[A-Z0-9_]*)?)=/gm)].map((match) => match[1]!));
}

const patterns = Object.keys(ENV_VARIABLE_PATTERNS);
const known = (name: string) =>
  ENV_VARIABLES.includes(name) ||
  patterns.includes(name) ||
  Object.values(ENV_VARIABLE_PATTERNS).some((pattern) => pattern.test(name));

describe("docs/configuration.md", () => {
  const documented = documentedVariables(read("docs/configuration.md"));

  it("documents every variable of the configuration schema, and the pattern variables", () => {
    expect([...ENV_VARIABLES, ...patterns].filter((name) => !documented.has(name))).toEqual([]);
  });

  it("names no variable the configuration no longer reads", () => {
    expect([...documented].filter((name) => !known(name))).toEqual([]);
  });

  it("finds the variables of its tables (the check above is not vacuous)", () => {
    expect(documented.size).toBeGreaterThan(60);
    expect(documentedVariables("| `A_B` and `C` | x |\n| `lower` | `NOT_FIRST_CELL` |")).toEqual(new Set(["A_B", "C"]));
  });
});

describe(".env.example", () => {
  const listed = exampleVariables(read(".env.example"));

  it("lists every variable of the configuration schema, and the pattern variables", () => {
    const missing = ENV_VARIABLES.filter((name) => !listed.has(name));
    const missingPatterns = Object.entries(ENV_VARIABLE_PATTERNS)
      .filter(([name, pattern]) => !listed.has(name) && ![...listed].some((variable) => pattern.test(variable)))
      .map(([name]) => name);
    expect([...missing, ...missingPatterns]).toEqual([]);
  });

  it("lists no variable the configuration no longer reads", () => {
    expect([...listed].filter((name) => !known(name))).toEqual([]);
  });
});
