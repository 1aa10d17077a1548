import { defineConfig } from "@playwright/test";
import { e2e } from "./test/browser/support/servers";

/**
 * Browser tests: Debian's Chromium (no browser download) against real servers started here:
 * - the demo server, as `npm start` runs it: embedded database seeded with the demo data;
 * - a plain server on an embedded database without demo data, signing people in with OpenID
 *   Connect at a local provider (oauth2-mock-server), which is started too.
 */
export default defineConfig({
  testDir: "test/browser",
  // The README's screenshots first, on the demo data as a newcomer finds it; then the journeys, which change it.
  projects: [
    { name: "readme", testMatch: "readme-screenshots.spec.ts" },
    { name: "journeys", testMatch: "**/*.spec.ts", testIgnore: "readme-screenshots.spec.ts", dependencies: ["readme"] },
  ],
  // One demo server whose data the journeys change: one worker, journeys in file order.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  outputDir: "test-results",
  reporter: process.env.PLAYWRIGHT_JSON_REPORT
    ? [["list"], ["json", { outputFile: process.env.PLAYWRIGHT_JSON_REPORT }]]
    : [["list"]],
  use: {
    baseURL: e2e.demoUrl,
    viewport: { width: 1440, height: 900 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: e2e.chromium,
      // This machine has no network beyond loopback: Chromium's own background calls would only fail.
      args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  webServer: [
    {
      command: "tsx test/browser/support/oidc-provider.ts",
      url: `${e2e.oidcIssuer}/.well-known/openid-configuration`,
      env: { OIDC_PORT: String(e2e.oidcPort) },
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: `rm -rf ${e2e.dataDir}/demo && tsx src/main.ts`,
      url: `${e2e.demoUrl}/readyz`,
      env: e2e.demoEnv,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "ignore",
    },
    {
      command: `rm -rf ${e2e.dataDir}/plain && tsx src/cli.ts user:create --email ${e2e.oidcUser.email} --name "${e2e.oidcUser.name}" --role admin && tsx src/main.ts`,
      url: `${e2e.plainUrl}/readyz`,
      env: e2e.plainEnv,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "ignore",
    },
  ],
});
