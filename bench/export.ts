/**
 * Export benchmark: seeds 1,000,000 measurements (one team of 500 members × 2 daily KPIs × 1,000
 * days) in a throw-away database (kpi_bench_export) and downloads GET /exports/teams/:id.csv and
 * .xlsx over HTTP, each from the real server in a child process of its own: rows, seconds, rows/s,
 * and the server's peak growth of RSS and V8 heap over its idle state before the download (sampled
 * every 10 ms). A tenth of the range is downloaded too (memory must not grow with the rows), and a
 * slow client that reads 1 MB/s for 5 s and leaves (memory must not grow while the server waits).
 * `npm run bench:export`; settings: BENCH_DATABASE_URL, BENCH_EMBEDDED=1 (the embedded database in
 * memory, seeded by each server process), BENCH_OLD_SPACE_MB (default 128, 0 for no cap),
 * BENCH_KEEP=1 (keeps the PostgreSQL database).
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { createMigratedDatabase, databaseUrl, dropDatabase } from "./bench-database.js";
import { startBenchServer } from "./bench-server.js";
import { createDb } from "../src/db/client.js";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { runMigrations } from "../src/db/migrate.js";
import { ensureMeasurementPartitions } from "../src/db/partitions.js";

const DB_NAME = "kpi_bench_export";
const KEEP = process.env.BENCH_KEEP === "1";
const EMBEDDED = process.env.BENCH_EMBEDDED === "1";
const MEMBERS = 500;
const DEFINITIONS = 2;
const DAYS = 1000;
const FIRST_DAY = "2022-01-01";
/** [from, to) of the whole dataset, and of about a tenth of it. */
const WHOLE = { from: FIRST_DAY, to: "2024-09-27" };
const TENTH = { from: FIRST_DAY, to: "2022-04-11" };
const SLOW_CLIENT = { bytesPerSecond: 1_000_000, seconds: 5 };
const SAMPLE_MS = 10;
/**
 * The server's V8 old space is capped (MB; 0 for V8's default): V8 lets garbage grow with the
 * allocation rate before it collects, so without a cap a peak says more about V8 than about what an
 * export holds. An export that held its rows would not fit; one that holds a page does.
 */
const OLD_SPACE_MB = Number(process.env.BENCH_OLD_SPACE_MB ?? 128);

/** The dataset as set-based SQL: an admin, one team, its members, two daily definitions, their measurements. */
const DATASET_SQL = `
  SELECT setseed(0.42);
  INSERT INTO users (name, email, role) VALUES ('Admin', 'admin@bench.test', 'admin');
  INSERT INTO users (name, email) SELECT format('Member %s', g), format('member%s@bench.test', g) FROM generate_series(1, ${MEMBERS}) g;
  INSERT INTO teams (name) VALUES ('Everyone');
  INSERT INTO team_members (team_id, user_id) SELECT t.id, u.id FROM teams t, users u WHERE u.role = 'user';
  INSERT INTO kpi_definitions (name, category, unit, calculation_type, aggregation_period)
    SELECT format('Daily KPI %s', g), 'bench', 'n', 'manual', 'daily' FROM generate_series(1, ${DEFINITIONS}) g;
  INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date)
    SELECT u.id, d.id, 50, 50, '${FIRST_DAY}' FROM users u, kpi_definitions d WHERE u.role = 'user';
  -- Day by day, as a daily calculation run writes them: an assignment's rows are spread over the table.
  INSERT INTO kpi_measurements (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage, calculated_at)
    SELECT uk.id, day::date, day::date + 1, v, 50, round(v * 2, 2), day + interval '1 day 2 hours'
    FROM generate_series('${FIRST_DAY}'::date, '${FIRST_DAY}'::date + ${DAYS - 1}, interval '1 day') AS day
    CROSS JOIN user_kpis uk
    CROSS JOIN LATERAL (SELECT round((random() * 100)::numeric, 2) AS v) value;`;

async function seed(pool: pg.Pool): Promise<void> {
  const started = performance.now();
  await ensureMeasurementPartitions(createDb(pool), FIRST_DAY, WHOLE.to);
  await pool.query(DATASET_SQL);
  await pool.query("ANALYZE");
  console.log(`dataset built in ${s(performance.now() - started)} s`);
}

const s = (ms: number) => (ms / 1000).toFixed(1);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

type ToServer = { type: "baseline" } | { type: "peak" } | { type: "stop" };
type FromServer =
  | { type: "ready"; url: string; token: string; teamId: number }
  | { type: "baseline" }
  | { type: "peak"; rss: number; heap: number };

/** Child-process mode: the real server, its database, and a memory sampler the parent reads. */
async function serve(): Promise<void> {
  const embedded = EMBEDDED ? await startEmbeddedPostgres("memory://") : undefined;
  const url = embedded?.url ?? databaseUrl(DB_NAME);
  const server = await startBenchServer(
    url,
    { JOBS_ENABLED: "false" },
    {
      embedded: embedded !== undefined,
      prepare: embedded
        ? async (pool) => {
            await runMigrations(pool);
            await seed(pool);
          }
        : undefined,
    },
  );
  const { running, pool, jwt } = server;
  const admin = (await pool.query("SELECT id, email FROM users WHERE role = 'admin'")).rows[0];
  const team = (await pool.query("SELECT id FROM teams")).rows[0];

  let baseline = { rss: 0, heap: 0 };
  let peak = { rss: 0, heap: 0 };
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, rss), heap: Math.max(peak.heap, heapUsed) };
  }, SAMPLE_MS);
  const send = (message: FromServer) => process.send!(message);
  process.on("message", (message: ToServer) => void answer(message));
  async function answer(message: ToServer): Promise<void> {
    if (message.type === "baseline") {
      globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      baseline = { rss, heap: heapUsed };
      peak = { ...baseline };
      send({ type: "baseline" });
    } else if (message.type === "peak") {
      send({ type: "peak", rss: peak.rss - baseline.rss, heap: peak.heap - baseline.heap });
    } else {
      clearInterval(sampler);
      await server.stop();
      await embedded?.stop();
      process.exit(0);
    }
  }
  process.on("disconnect", () => process.exit(0)); // the parent died: never linger
  send({ type: "ready", url: running.url, token: await jwt.sign(admin), teamId: team.id });
}

class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Extract<FromServer, { type: "ready" }>,
  ) {}

  static start(): Promise<ServerProcess> {
    const env = { ...process.env, NODE_ENV: "production", BENCH_DATABASE_URL: process.env.BENCH_DATABASE_URL };
    const cap = OLD_SPACE_MB > 0 ? [`--max-old-space-size=${OLD_SPACE_MB}`] : [];
    const child = fork(fileURLToPath(import.meta.url), ["serve"], { execArgv: ["--import", "tsx", "--expose-gc", ...cap], env });
    return new Promise((resolve, reject) => {
      child.once("message", (message: FromServer) => {
        if (message.type === "ready") resolve(new ServerProcess(child, message));
      });
      child.once("exit", (code) => reject(new Error(`server process exited with ${code}`)));
    });
  }

  ask<T extends FromServer["type"]>(type: ToServer["type"] & T): Promise<Extract<FromServer, { type: T }>> {
    return new Promise((resolve) => {
      const listen = (message: FromServer) => {
        if (message.type !== type) return;
        this.child.off("message", listen);
        resolve(message as Extract<FromServer, { type: T }>);
      };
      this.child.on("message", listen);
      this.child.send({ type });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.send({ type: "stop" } satisfies ToServer);
    await exited;
  }
}

interface Result {
  download: string;
  rows: number | string;
  MB: string;
  seconds: string;
  "rows/s": string;
  "peak RSS growth MB": string;
  "peak heap growth MB": string;
}

/** Rows the server has read for downloads of `format`, from its GET /metrics. */
async function rowsRead(server: ServerProcess, format: string): Promise<number> {
  const text = await (await fetch(`${server.ready.url}/metrics`)).text();
  const sample = new RegExp(`^kpi_export_rows_total\\{format="${format}"\\} (\\d+)$`, "m").exec(text);
  return Number(sample?.[1] ?? 0);
}

/** Downloads one export, reading as fast as it comes or, when `slow`, at a trickle until it leaves. */
async function measure(server: ServerProcess, label: string, path: string, slow = false): Promise<Result> {
  const format = path.includes(".csv") ? "csv" : "xlsx";
  const rowsBefore = await rowsRead(server, format);
  await server.ask("baseline");
  const started = performance.now();
  const response = await fetch(`${server.ready.url}${path}`, { headers: { authorization: `Bearer ${server.ready.token}` } });
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  const reader = response.body!.getReader();
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
    if (slow) {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= SLOW_CLIENT.seconds) {
        await reader.cancel();
        break;
      }
      const ahead = bytes / SLOW_CLIENT.bytesPerSecond - elapsed;
      if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead * 1000));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = await server.ask("peak");
  const rows = (await rowsRead(server, format)) - rowsBefore;
  if (format === "csv" && !slow && rows !== lines - 1) throw new Error(`${path}: ${lines - 1} lines for ${rows} rows read`);
  return {
    download: label,
    rows: slow ? `${rows} read, then the client left` : rows,
    MB: mb(bytes),
    seconds: seconds.toFixed(1),
    "rows/s": slow ? "" : Math.round(rows / seconds).toLocaleString("en"),
    "peak RSS growth MB": mb(peak.rss),
    "peak heap growth MB": mb(peak.heap),
  };
}

/** One download in a server process of its own, so that no earlier download's heap or RSS counts. */
async function measureAlone(label: string, path: (teamId: number) => string, slow = false): Promise<Result> {
  const server = await ServerProcess.start();
  try {
    // Modules loaded and code compiled before the baseline: a few days of the same kind of export.
    const format = path(0).includes(".csv") ? "csv" : "xlsx";
    await measure(server, "warm-up", `/exports/teams/${server.ready.teamId}.${format}?from=${FIRST_DAY}&to=2022-01-11`);
    return await measure(server, label, path(server.ready.teamId), slow);
  } finally {
    await server.stop();
  }
}

async function bench(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  if (!EMBEDDED) {
    const pool = await createMigratedDatabase(DB_NAME);
    try {
      await seed(pool);
    } finally {
      await pool.end();
    }
  }
  try {
    const range = (r: { from: string; to: string }) => `from=${r.from}&to=${r.to}`;
    const team = (format: string, r: { from: string; to: string }) => (teamId: number) =>
      `/exports/teams/${teamId}.${format}?${range(r)}`;
    const results = [
      await measureAlone("team CSV, a tenth", team("csv", TENTH)),
      await measureAlone("team CSV, all", team("csv", WHOLE)),
      await measureAlone("team CSV, slow client", team("csv", WHOLE), true),
      await measureAlone("team XLSX, a tenth", team("xlsx", TENTH)),
      await measureAlone("team XLSX, all", team("xlsx", WHOLE)),
      await measureAlone("team XLSX, slow client", team("xlsx", WHOLE), true),
    ];
    console.log(`\ndatabase: ${EMBEDDED ? "embedded (PGlite, in the server process, seeded by each)" : "PostgreSQL"}`);
    console.log(
      `${MEMBERS} members × ${DEFINITIONS} daily KPIs × ${DAYS} days = ${(MEMBERS * DEFINITIONS * DAYS).toLocaleString("en")} measurements`,
    );
    console.log(`host: ${os.cpus().length} CPUs, 1-minute load average before the run ${loadBefore.toFixed(2)}`);
    console.log(
      `memory: each download in a server process of its own, after a warm-up export and a GC; growth of the peak ` +
        `(sampled every ${SAMPLE_MS} ms) over that idle state. Peak heap counts garbage not yet collected.`,
    );
    console.log(`server: --max-old-space-size=${OLD_SPACE_MB > 0 ? OLD_SPACE_MB : "(V8's default)"}`);
    console.log(`slow client: reads ${mb(SLOW_CLIENT.bytesPerSecond)} MB/s for ${SLOW_CLIENT.seconds} s, then leaves\n`);
    console.table(results);
  } finally {
    // A failed drop is reported, without hiding the error that may have ended the run.
    if (!EMBEDDED && !KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

await (process.argv[2] === "serve" ? serve() : bench());
