import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/config.js";

const SECRET = "a-production-secret-that-is-long-enough-0123456789";

/** Runs loadConfig and returns the ConfigError it throws (failing the test if it does not throw one). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("loadConfig", () => {
  describe("defaults", () => {
    it("fills every optional variable from an empty environment", () => {
      const config = loadConfig({});
      expect(config.env).toBe("development");
      expect(config.port).toBe(4000);
      expect(config.host).toBe("0.0.0.0");
      expect(config.database).toEqual({ url: undefined, poolMax: 10, dataDir: "./data" });
      expect(config.logLevel).toBe("info");
      expect(config.auth.subject).toBe("id");
      expect(config.auth.tokenTtl).toBe("12h");
      expect(config.graphql).toEqual({
        introspection: true,
        hideSchemaDetails: false,
        maxDepth: 12,
        maxCost: 20_000,
        maxAliases: 30,
        maxBatchOperations: 10,
        bodyLimit: "1mb",
        sqlStatementHeader: false,
        responseCacheMb: 64,
      });
      expect(config.scoring).toEqual({ timeZone: "UTC", scoreCap: 150 });
    });

    it("refuses an unknown time zone and a score cap below 100", () => {
      expect(() => loadConfig({ KPI_TIMEZONE: "Mars/Olympus", SCORE_CAP: "50" })).toThrow(
        /KPI_TIMEZONE[\s\S]*SCORE_CAP|SCORE_CAP[\s\S]*KPI_TIMEZONE/,
      );
      expect(loadConfig({ KPI_TIMEZONE: "Europe/Paris" }).scoring.timeZone).toBe("Europe/Paris");
    });

    it("treats empty strings as unset", () => {
      const config = loadConfig({ PORT: "", LOG_LEVEL: "", DATA_DIR: "" });
      expect(config.port).toBe(4000);
      expect(config.logLevel).toBe("info");
      expect(config.database.dataDir).toBe("./data");
    });

    it("reads given values, coercing numbers and flags", () => {
      const config = loadConfig({
        PORT: "8080",
        DATA_DIR: "/var/lib/kpi",
        LOG_LEVEL: "debug",
        DATABASE_URL: "postgres://kpi@db:5432/kpi",
        MAX_QUERY_DEPTH: "5",
        BODY_LIMIT: "512KB",
        INTROSPECTION: "no",
        RESPONSE_CACHE_MB: "0",
      });
      expect(config.port).toBe(8080);
      expect(config.database.dataDir).toBe("/var/lib/kpi");
      expect(config.database.url).toBe("postgres://kpi@db:5432/kpi");
      expect(config.logLevel).toBe("debug");
      expect(config.graphql.maxDepth).toBe(5);
      expect(config.graphql.bodyLimit).toBe("512kb");
      expect(config.graphql.introspection).toBe(false);
      expect(config.graphql.responseCacheMb).toBe(0);
    });
  });

  describe("validation", () => {
    it("names every bad variable in one ConfigError", () => {
      const error = configError({ PORT: "abc", JWT_SECRET: "short", LOG_LEVEL: "loud", DATABASE_URL: "mysql://x" });
      expect(error.problems).toHaveLength(4);
      for (const variable of ["PORT", "JWT_SECRET", "LOG_LEVEL", "DATABASE_URL"]) {
        expect(error.problems.filter((problem) => problem.startsWith(`${variable}:`))).toHaveLength(1);
        expect(error.message).toContain(variable);
      }
      expect(error.problems.find((p) => p.startsWith("JWT_SECRET:"))).toMatch(/32 characters/);
    });

    it("rejects out-of-range and malformed values", () => {
      const error = configError({
        PORT: "70000",
        MAX_QUERY_DEPTH: "0",
        BODY_LIMIT: "lots",
        INTROSPECTION: "maybe",
        RESPONSE_CACHE_MB: "-1",
      });
      expect(error.problems.map((p) => p.split(":")[0]).sort()).toEqual([
        "BODY_LIMIT",
        "INTROSPECTION",
        "MAX_QUERY_DEPTH",
        "PORT",
        "RESPONSE_CACHE_MB",
      ]);
    });

    it("does not print the rejected values (they may be secrets)", () => {
      const error = configError({ JWT_SECRET: "hunter2-but-short" });
      expect(error.message).not.toContain("hunter2");
    });

    it("takes a METRICS_TOKEN of 16 characters or more, and leaves /metrics open without one", () => {
      expect(loadConfig({}).metrics).toEqual({ token: undefined });
      expect(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).metrics.token).toBe("0123456789abcdef");
      const error = configError({ METRICS_TOKEN: "scrape-me" });
      expect(error.problems).toEqual([expect.stringMatching(/^METRICS_TOKEN: .*16 characters/)]);
      expect(error.message).not.toContain("scrape-me");
    });
  });

  describe("job store", () => {
    it("keeps Agenda's jobs in PostgreSQL unless JOBS_MONGODB_URL is set", () => {
      expect(loadConfig({}).jobs.mongodbUrl).toBeUndefined();
      expect(loadConfig({ JOBS_MONGODB_URL: "" }).jobs.mongodbUrl).toBeUndefined();
      expect(loadConfig({ JOBS_MONGODB_URL: "mongodb://mongo:27017/kpi" }).jobs.mongodbUrl).toBe("mongodb://mongo:27017/kpi");
      const srv = "mongodb+srv://kpi:secret@cluster0.example.net/kpi?retryWrites=true";
      expect(loadConfig({ JOBS_MONGODB_URL: srv }).jobs.mongodbUrl).toBe(srv);
    });

    it("refuses a JOBS_MONGODB_URL that is not a MongoDB connection string, without printing it", () => {
      for (const url of ["postgres://kpi:hunter2@db/kpi", "mongo://kpi:hunter2@db/kpi", "localhost:27017"]) {
        const error = configError({ JOBS_MONGODB_URL: url });
        expect(error.problems).toEqual([expect.stringMatching(/^JOBS_MONGODB_URL: must be a mongodb:\/\/ or mongodb\+srv:\/\//)]);
        expect(error.message).not.toContain("hunter2");
      }
    });
  });

  describe("cross-origin access and proxies", () => {
    it("reads CORS_ORIGINS as exact origins, none by default", () => {
      expect(loadConfig({}).corsOrigins).toEqual([]);
      expect(loadConfig({ CORS_ORIGINS: "https://dash.example.com, http://localhost:5173" }).corsOrigins).toEqual([
        "https://dash.example.com",
        "http://localhost:5173",
      ]);
      for (const value of ["*", "https://dash.example.com/", "https://dash.example.com/app", "dash.example.com"]) {
        expect(configError({ CORS_ORIGINS: value }).problems, value).toEqual([
          expect.stringMatching(/^CORS_ORIGINS: must be origins/),
        ]);
      }
    });

    it("reads TRUST_PROXY as express takes it, loopback by default", () => {
      expect(loadConfig({}).trustProxy).toBe("loopback");
      expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
      expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
      expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8" }).trustProxy).toBe("loopback, 10.0.0.0/8");
      expect(configError({ TRUST_PROXY: "the-proxy" }).problems).toEqual([expect.stringMatching(/^TRUST_PROXY: must be/)]);
    });
  });

  describe("outbound requests", () => {
    it("allows public addresses only unless OUTBOUND_ALLOWED_NETWORKS lists networks", () => {
      expect(loadConfig({}).outbound).toEqual({ allowedNetworks: [] });
      expect(loadConfig({ OUTBOUND_ALLOWED_NETWORKS: " 10.0.0.0/8, 192.168.1.20 ,fd00::/8" }).outbound).toEqual({
        allowedNetworks: ["10.0.0.0/8", "192.168.1.20", "fd00::/8"],
      });
    });

    it("refuses networks that are not CIDR or addresses", () => {
      for (const value of ["10.0.0.0/33", "intranet", "10.0.0.0/8;rm", "*"]) {
        expect(configError({ OUTBOUND_ALLOWED_NETWORKS: value }).problems).toEqual([
          expect.stringMatching(/^OUTBOUND_ALLOWED_NETWORKS: must be networks/),
        ]);
      }
    });
  });

  describe("dashboard sign-in", () => {
    it("reads DEMO_SIGN_IN and the OpenID Connect settings", () => {
      expect(loadConfig({}).signIn).toEqual({ demo: undefined, oidc: undefined });
      const config = loadConfig({
        DEMO_SIGN_IN: "false",
        JWT_JWKS_URL: "https://login.example.com/jwks",
        OIDC_ISSUER: "https://login.example.com",
        OIDC_CLIENT_ID: "kpi",
      });
      expect(config.signIn).toEqual({
        demo: false,
        oidc: { issuer: "https://login.example.com", clientId: "kpi", scope: "openid profile email" },
      });
    });

    it("needs a client id and the provider's key set with OIDC_ISSUER", () => {
      const error = configError({ OIDC_ISSUER: "https://login.example.com" });
      expect(error.problems.map((problem) => problem.split(":")[0]).sort()).toEqual(["JWT_JWKS_URL", "OIDC_CLIENT_ID"]);
      expect(configError({ OIDC_ISSUER: "not a url", OIDC_CLIENT_ID: "kpi" }).problems[0]).toMatch(/^OIDC_ISSUER: /);
    });
  });

  describe("production", () => {
    it("requires JWT_SECRET or JWT_JWKS_URL", () => {
      const error = configError({ NODE_ENV: "production" });
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(/^JWT_SECRET: .*production/);

      expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET })).not.toThrow();
      expect(() =>
        loadConfig({ NODE_ENV: "production", JWT_JWKS_URL: "https://auth.example.com/.well-known/jwks.json" }),
      ).not.toThrow();
    });

    it("turns introspection off and hides schema details by default", () => {
      const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET });
      expect(config.env).toBe("production");
      expect(config.graphql.introspection).toBe(false);
      expect(config.graphql.hideSchemaDetails).toBe(true);
    });

    it("lets INTROSPECTION=true turn introspection back on", () => {
      const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET, INTROSPECTION: "true" });
      expect(config.graphql.introspection).toBe(true);
      expect(config.graphql.hideSchemaDetails).toBe(true);
    });

    it("keeps introspection on in development and test", () => {
      expect(loadConfig({ NODE_ENV: "development" }).graphql.introspection).toBe(true);
      expect(loadConfig({ NODE_ENV: "test" }).graphql.introspection).toBe(true);
    });
  });
});
