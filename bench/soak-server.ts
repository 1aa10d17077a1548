/**
 * The soak's server process, forked by bench/soak.ts so that RSS and event-loop lag are the
 * server's own, not the load generator's: the real server (startServer, with the bench servers'
 * settings and its in-process job worker) on the embedded database under SOAK_DATA_DIR, or on
 * PostgreSQL at SOAK_DATABASE_URL (created empty by the parent). It builds the dataset, starts,
 * sends its URL and fixtures, and from then on samples itself: the main pool's waiting count every
 * 50 ms, RSS every second, event-loop delay, and the WebSockets open on its HTTP server.
 * Messages from the parent: "sample" (the window since the last one), "listeners" (subscriptions
 * waiting for these users), "stop".
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { BENCH_SERVER_ENV } from "./bench-server.js";
import { buildSoakDataset, loadFixtures, type SoakFixtures } from "./soak-dataset.js";
import { startServer } from "../src/server/start-server.js";
import { JwtService } from "../src/auth/jwt.js";
import { openMigratedDatabase } from "../src/bootstrap.js";
import { loadConfig } from "../src/config/config.js";
import { createLogger } from "../src/lib/logger.js";

/** Scheduled runs would add live events the soak did not cause, at times it does not choose: none within a year. */
const NO_SCHEDULE = "0 0 1 1 *";
const POOL_SAMPLE_MS = 50;

export interface ServerSample {
  rssMb: number;
  /** Mean of the per-second RSS samples of the window. */
  rssMeanMb: number;
  /** RSS right after a full garbage collection at the end of the window (the process runs with --expose-gc). */
  rssAfterGcMb?: number;
  /** The JavaScript heap at the end of the window: in use (garbage not yet collected included) and reserved by V8. */
  heap: { usedMb: number; totalMb: number };
  /** Memory outside the JavaScript heap held by JavaScript objects (buffers; the embedded database's WebAssembly memory). */
  externalMb: number;
  lag: { p50: number; p99: number; max: number };
  pool: { max: number; mean: number };
  sockets: { open: number; max: number };
}

export type ToParent =
  | { type: "ready"; url: string; graphqlUrl: string; fixtures: SoakFixtures; database: string }
  | { type: "sample"; sample: ServerSample }
  | { type: "listeners"; count: number }
  | { type: "stopped" };

export type ToServer = { type: "sample" } | { type: "listeners"; userIds: number[] } | { type: "stop" };

async function serve(): Promise<void> {
  const config = loadConfig({
    ...BENCH_SERVER_ENV,
    LOG_LEVEL: process.env.SOAK_LOG_LEVEL ?? "error",
    DATABASE_URL: process.env.SOAK_DATABASE_URL,
    DATA_DIR: process.env.SOAK_DATA_DIR,
    SCHEDULE_DAILY: NO_SCHEDULE,
    SCHEDULE_WEEKLY: NO_SCHEDULE,
    SCHEDULE_MONTHLY: NO_SCHEDULE,
    SCHEDULE_QUARTERLY: NO_SCHEDULE,
    SCHEDULE_SNAPSHOT: NO_SCHEDULE,
  });
  const database = await openMigratedDatabase(config);
  await buildSoakDataset(database.db, database.pool);
  const jwt = new JwtService(config.auth, config.auth.jwtSecret);
  const running = await startServer({ config, database, log: createLogger(config.logLevel), jwt });
  const fixtures = await loadFixtures(database.pool, jwt);

  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  let pool = { samples: 0, sum: 0, max: 0 };
  let rss = { samples: 0, sum: 0 };
  const sockets = { open: 0, max: 0 };
  const poolTimer = setInterval(() => {
    const waiting = database.pool.waitingCount;
    pool.samples++;
    pool.sum += waiting;
    pool.max = Math.max(pool.max, waiting);
  }, POOL_SAMPLE_MS);
  const rssTimer = setInterval(() => {
    rss.samples++;
    rss.sum += process.memoryUsage.rss();
  }, 1000);
  // Every upgrade on this server is a subscription socket (the GraphQL path is the only WebSocket one).
  running.server.on("upgrade", (_request, socket) => {
    sockets.max = Math.max(sockets.max, ++sockets.open);
    socket.once("close", () => sockets.open--);
  });

  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  const send = (message: ToParent) => process.send!(message);
  const stop = async () => {
    clearInterval(poolTimer);
    clearInterval(rssTimer);
    await running.stop();
    await database.close();
    send({ type: "stopped" });
    process.exit(0);
  };
  process.on("message", (message: ToServer) => {
    if (message.type === "stop") return void stop();
    if (message.type === "listeners") {
      const count = message.userIds.reduce((sum, id) => sum + running.services.live.listenerCount("measurementRecorded", id), 0);
      return send({ type: "listeners", count });
    }
    const now = process.memoryUsage.rss();
    // What the process keeps once garbage is gone: the figure a leak raises, whatever the collector's phase.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const memory = process.memoryUsage();
    send({
      type: "sample",
      sample: {
        rssMb: mb(now),
        rssMeanMb: mb(rss.samples ? rss.sum / rss.samples : now),
        ...(gc && { rssAfterGcMb: mb(memory.rss) }),
        heap: { usedMb: mb(memory.heapUsed), totalMb: mb(memory.heapTotal) },
        externalMb: mb(memory.external),
        lag: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) },
        pool: { max: pool.max, mean: pool.samples ? pool.sum / pool.samples : 0 },
        sockets: { ...sockets },
      },
    });
    lag.reset();
    pool = { samples: 0, sum: 0, max: 0 };
    rss = { samples: 0, sum: 0 };
    sockets.max = sockets.open;
  });
  process.on("disconnect", () => process.exit(1)); // the parent died: never linger
  send({
    type: "ready",
    url: running.url,
    graphqlUrl: running.graphqlUrl,
    fixtures,
    database: database.embedded ? `embedded (PGlite) in ${config.database.dataDir}` : "PostgreSQL",
  });
}

await serve();
