import { inject } from "vitest";
import { startServer, type RunningServer } from "../../src/server/start-server.js";
import { JwtService } from "../../src/auth/jwt.js";
import { loadConfig, type Config } from "../../src/config/config.js";
import { createDb, createPool, type Database } from "../../src/db/client.js";
import { createLogger, type Logger } from "../../src/lib/logger.js";

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789";

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }>;
  headers: Headers;
}

export interface TestServer {
  url: string;
  graphqlUrl: string;
  config: Config;
  database: Database;
  jwt: JwtService;
  running: RunningServer;
  /** Sends one GraphQL operation over HTTP, with a bearer token when given. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GraphQLResponse<T>>;
  /** Sends a raw POST body to /graphql. */
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts the real server on a free port against the run's test database; `log` replaces its logger. */
export async function startTestServer(env: Record<string, string> = {}, options: { log?: Logger } = {}): Promise<TestServer> {
  const config = loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_URL: inject("databaseUrl"),
    DATABASE_POOL_MAX: "5",
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // Test files share one database: a worker in each server would take other files' jobs.
    JOBS_ENABLED: "false",
    ...env,
  });
  // In an embedded run every database is an embedded one, and the server must know (it cannot LISTEN there).
  const embedded = inject("databaseKind") === "embedded";
  const pool = createPool(config.database.url!, config.database.poolMax, { preparedStatements: !embedded });
  const database: Database = { db: createDb(pool), pool, url: config.database.url!, embedded, close: () => pool.end() };
  const jwt = new JwtService(config.auth, config.auth.jwtSecret);
  const running = await startServer({ config, database, log: options.log ?? createLogger(config.logLevel), jwt });

  async function post(body: string, headers: Record<string, string> = {}) {
    return fetch(running.graphqlUrl, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  }

  return {
    url: running.url,
    graphqlUrl: running.graphqlUrl,
    config,
    database,
    jwt,
    running,
    post,
    async gql(query, variables, token) {
      const response = await post(JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});
      const body = (await response.json()) as Omit<GraphQLResponse, "status" | "headers">;
      return { status: response.status, headers: response.headers, ...body } as GraphQLResponse<any>;
    },
    async stop() {
      await running.stop();
      await database.close();
    },
  };
}
