import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS and an .mjs copy without an "exports" map; Node (and type-graphql)
    // load the CommonJS one, so tests must too, or two graphql instances meet ("another realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Integration tests start a server and talk to PostgreSQL; a cold embedded database is slower.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // In CI a JSON report as well, from which .ci/run prints its closing "N passed, N failed" line.
    reporters: process.env.VITEST_JSON_REPORT
      ? ["default", ["json", { outputFile: process.env.VITEST_JSON_REPORT }]]
      : ["default"],
  },
});
