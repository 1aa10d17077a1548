import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const page = readFileSync(new URL("docs/architecture.md", root), "utf8");

/** The paths the Folders table names: backticked names in its rows' first cells, relative to src/. */
function tabledPaths(markdown: string): string[] {
  const section = markdown.slice(markdown.indexOf("## Folders"), markdown.indexOf("## Rules"));
  const paths: string[] = [];
  for (const line of section.split("\n")) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!firstCell) continue;
    for (const [, name] of firstCell.matchAll(/`([^`]+)`/g)) paths.push(name!.replace(/\/<feature>\/$|\/$/, ""));
  }
  return paths;
}

/** The paths the two path drawings name, such as jobs/plan-run.job or modules/run/run-queue.ts. */
function drawnPaths(markdown: string): string[] {
  const drawings = [...markdown.matchAll(/```text\n([\s\S]*?)```/g)].map((match) => match[1]!).join("\n");
  const known = /^(server|jobs|engine|modules|permissions|auth|graphql|lib|scoring|db|exports|hooks)\//;
  return [...drawings.matchAll(/[a-z-]+(?:\/[a-z<>*.-]+)+/g)]
    .map((match) => match[0])
    .filter((path) => known.test(path) && !path.includes("<") && !path.includes("*"));
}

const exists = (path: string) => existsSync(new URL(`src/${path}`, root)) || existsSync(new URL(`src/${path}.ts`, root));

describe("docs/architecture.md matches the tree", () => {
  it("names every folder and top-level file of src/ in its Folders table", () => {
    const tabled = new Set(tabledPaths(page));
    const entries = readdirSync(new URL("src/", root));
    expect(entries.filter((entry) => !tabled.has(entry))).toEqual([]);
  });

  it("names nothing in its table or drawings that src/ does not have", () => {
    const named = [...tabledPaths(page), ...drawnPaths(page)];
    expect(named.length).toBeGreaterThan(30);
    expect(named.filter((path) => !exists(path))).toEqual([]);
  });
});
