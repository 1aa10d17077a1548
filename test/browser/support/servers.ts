import { existsSync } from "node:fs";

/**
 * Where the browser tests' servers listen and how they are configured. E2E_PORT_BASE moves all
 * three, so two checkouts can run their browser tests side by side.
 */
const base = Number(process.env.E2E_PORT_BASE ?? 4310);
const oidcPort = base + 2;
const oidcIssuer = `http://127.0.0.1:${oidcPort}`;
const dataDir = process.env.E2E_DATA_DIR ?? ".e2e-data";

// Debian's package installs a wrapper script at /usr/bin/chromium; Playwright must start the binary itself.
const chromium =
  process.env.CHROMIUM_PATH ?? ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((path) => existsSync(path)) ?? "chromium";

/** Settings both servers share: loopback only, the embedded database, fast job polling so runs finish quickly. */
const common = {
  HOST: "127.0.0.1",
  DATABASE_URL: "",
  LOG_LEVEL: "warn",
  JOBS_PROCESS_EVERY_MS: "300",
  NODE_ENV: "development",
};

export const e2e = {
  chromium,
  dataDir,
  demoUrl: `http://127.0.0.1:${base}`,
  plainUrl: `http://127.0.0.1:${base + 1}`,
  oidcPort,
  oidcIssuer,
  /** The person the local identity provider signs in, an admin on the plain server. */
  oidcUser: { email: "oidc.admin@example.org", name: "Olive Oidc" },
  demoEnv: { ...common, PORT: String(base), DATA_DIR: `${dataDir}/demo` },
  plainEnv: {
    ...common,
    PORT: String(base + 1),
    DATA_DIR: `${dataDir}/plain`,
    SEED_DEMO: "false",
    JWT_JWKS_URL: `${oidcIssuer}/jwks`,
    JWT_ISSUER: oidcIssuer,
    JWT_SUBJECT: "email",
    OIDC_ISSUER: oidcIssuer,
    OIDC_CLIENT_ID: "kpi-dashboard",
  },
};
