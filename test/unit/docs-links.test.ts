import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

/**
 * The links of README.md, CONTRIBUTING.md, CHANGELOG.md and docs/ lead somewhere: relative links to
 * files that exist and anchors to headings that exist (remark-validate-links, offline). This is
 * `npm run docs:check`, run by `npm test` so that CI runs it too.
 */
describe("documentation links", () => {
  it("npm run docs:check finds no broken link", async () => {
    const result = await run("npm", ["run", "--silent", "docs:check"], {
      cwd: new URL("../../", import.meta.url),
    }).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
    );
    // remark colours its report; without the codes the failing links read plainly in the assertion.
    // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
    expect(result.output.replace(/\u001b\[[0-9;]*m/g, "")).toBe("");
    expect(result.code).toBe(0);
  }, 60_000);
});
