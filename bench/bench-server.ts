import type pg from "pg";
import { startServer, type RunningServer } from "../src/server/start-server.js";
import { JwtService } from "../src/auth/jwt.js";
import { loadConfig } from "../src/config/config.js";
import { createDb, createPool } from "../src/db/client.js";
import { createLogger } from "../src/lib/logger.js";

/** What every benchmark's server runs with: production mode, silent, on a free port of 127.0.0.1. */
export const BENCH_SERVER_ENV = {
  NODE_ENV: "production",
  JWT_SECRET: "bench-secret-that-is-long-enough-for-hs256-0123456789",
  LOG_LEVEL: "silent",
  HOST: "127.0.0.1",
  PORT: "0",
  DATABASE_POOL_MAX: "10",
};

export interface BenchServer {
  running: RunningServer;
  pool: pg.Pool;
  jwt: JwtService;
  /** Stops the server and ends its pool. */
  stop(): Promise<void>;
}

/**
 * The real server on the database at `url`, with BENCH_SERVER_ENV and `env` on top (unset values
 * leave the defaults); `prepare` fills the database through the server's pool before it starts.
 */
export async function startBenchServer(
  url: string,
  env: Record<string, string | undefined> = {},
  options: { embedded?: boolean; prepare?: (pool: pg.Pool) => Promise<void> } = {},
): Promise<BenchServer> {
  const config = loadConfig({ ...BENCH_SERVER_ENV, ...env, DATABASE_URL: url });
  const pool = createPool(url, config.database.poolMax, { preparedStatements: !options.embedded });
  await options.prepare?.(pool);
  const database = { db: createDb(pool), pool, url, embedded: options.embedded ?? false, close: () => pool.end() };
  const jwt = new JwtService(config.auth, config.auth.jwtSecret);
  const running = await startServer({ config, database, log: createLogger(config.logLevel), jwt });
  return {
    running,
    pool,
    jwt,
    async stop() {
      await running.stop();
      await pool.end();
    },
  };
}
