/**
 * Read benchmark: builds a realistic dataset in a throw-away database (kpi_bench), starts the real
 * server on it in a child process and drives the two dashboard queries with autocannon.
 * `npm run bench:read`; settings: BENCH_DATABASE_URL, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_KEEP=1,
 * BENCH_CPU_PROF=<dir> (writes a CPU profile of the server there).
 *
 * Each query runs twice: against a server with the response cache (src/graphql/response-cache.ts),
 * where the rotation over ten teams makes every measured request a hit, as for dashboards reloaded
 * between calculation runs; and with RESPONSE_CACHE_MB=0, where every request executes in full, as
 * after every write.
 */
import autocannon from "autocannon";
import { createMigratedDatabase, databaseUrl, dropDatabase, onServer } from "./bench-database.js";
import { BENCH_SERVER_ENV, startBenchServer } from "./bench-server.js";
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { JwtService } from "../src/auth/jwt.js";
import { loadConfig } from "../src/config/config.js";
import { createDb } from "../src/db/client.js";
import { ensureMeasurementPartitions } from "../src/db/partitions.js";

const DB_NAME = "kpi_bench";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP_SECONDS = 3;
const KEEP = process.env.BENCH_KEEP === "1";
const USERS = 10_000;
const TEAM_SIZE = 50;
const TEAMS = USERS / TEAM_SIZE;
const MONTHS = 12;
/** The two servers each query runs against: response cache on (the default) and off. */
const SERVER_MODES: [string, Record<string, string>][] = [
  ["cache", {}],
  ["no cache", { RESPONSE_CACHE_MB: "0" }],
];
// Mixed target types so that every branch of the achievement formula is exercised.
const DEFINITIONS = [
  { name: "Revenue", unit: "EUR", targetType: "higher_better", target: 10_000 },
  { name: "Tickets closed", unit: "tickets", targetType: "higher_better", target: 120 },
  { name: "First response time", unit: "minutes", targetType: "lower_better", target: 30 },
  { name: "Customer satisfaction", unit: "%", targetType: "higher_better", target: 90 },
  { name: "Budget adherence", unit: "EUR", targetType: "exact", target: 5_000 },
];

const TEAM_QUERY = `query($id: ID!) { team(id: $id) { name averages { overallScore kpiAverages { kpiDefinition { name } memberCount averageAchievementPercentage } } members { user { id name } overallScore kpis { id weight targetValue kpiDefinition { name unit } currentMeasurement { periodStart actualValue achievementPercentage } trend(periods: 6) { periodStart actualValue } } } } }`;
const ME_QUERY = `{ me { name overallScore kpis { kpiDefinition { name unit } targetValue weight currentMeasurement { actualValue achievementPercentage } trend(periods: 6) { actualValue } } } }`;

/** The 12 complete months before today (UTC, as the server's default KPI_TIMEZONE), as "YYYY-MM-DD". */
function measuredMonths(today = new Date()): { first: string; last: string; end: string } {
  const month = (offset: number) =>
    new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
  return { first: month(-MONTHS), last: month(-1), end: month(0) };
}

/** With BENCH_KEEP, a kpi_bench of an earlier run is reused when it holds this month's full dataset. */
async function hasDataset(): Promise<boolean> {
  const { first, end } = measuredMonths();
  const sql = "SELECT count(*)::int AS n FROM kpi_measurements WHERE period_start >= $1 AND period_start < $2";
  // No database (or no table) is no dataset either.
  const count = await onServer(databaseUrl(DB_NAME), async (c) => (await c.query(sql, [first, end])).rows[0].n).catch(() => 0);
  return count === USERS * DEFINITIONS.length * MONTHS;
}

/**
 * The dataset as one script of set-based INSERT … SELECT statements, one per table, so building takes
 * seconds. A multi-statement query runs in one implicit transaction: a failed build leaves nothing.
 * Every value spliced in is one of this file's constants or a date computed here.
 */
function datasetSql(first: string, last: string): string {
  const definitions = DEFINITIONS.map((d) => `('${d.name}', '${d.unit}', '${d.targetType}'::target_type, ${d.target})`).join(
    ", ",
  );
  return `
    SELECT setseed(0.42); -- the same figures on every build
    INSERT INTO users (name, email, role)
      SELECT format('User %s', lpad(g::text, 5, '0')), format('user%s@bench.test', g), 'user'::user_role FROM generate_series(1, ${USERS}) g
      UNION ALL SELECT format('Manager %s', g), format('manager%s@bench.test', g), 'manager' FROM generate_series(1, ${TEAMS}) g
      UNION ALL SELECT 'Bench Admin', 'admin@bench.test', 'admin';
    INSERT INTO teams (name, manager_id) SELECT format('Team %s', g), m.id
      FROM generate_series(1, ${TEAMS}) g JOIN users m ON m.email = format('manager%s@bench.test', g);
    INSERT INTO team_members (team_id, user_id) SELECT t.id, u.id FROM generate_series(1, ${USERS}) g
      JOIN users u ON u.email = format('user%s@bench.test', g) JOIN teams t ON t.name = format('Team %s', (g - 1) / ${TEAM_SIZE} + 1);
    CREATE TEMP TABLE bench_definitions (name text, unit text, target_type target_type, target numeric) ON COMMIT DROP;
    INSERT INTO bench_definitions VALUES ${definitions};
    INSERT INTO kpi_definitions (name, unit, calculation_type, aggregation_period, target_type)
      SELECT name, unit, 'manual', 'monthly', target_type FROM bench_definitions;
    INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date)
      SELECT u.id, d.id, b.target, 20, '${first}' FROM users u CROSS JOIN kpi_definitions d
      JOIN bench_definitions b ON b.name = d.name WHERE u.role = 'user';
    -- Actuals scatter around the target (60–140 %); achievement as src/scoring/achievement.ts computes it.
    INSERT INTO kpi_measurements (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage)
      SELECT id, period_start, period_end, actual, target, round(least(999.99, greatest(0, CASE target_type
          WHEN 'higher_better' THEN CASE WHEN target = 0 THEN CASE WHEN actual >= 0 THEN 100 ELSE 0 END ELSE actual / target * 100 END
          WHEN 'lower_better' THEN CASE WHEN actual <= 0 THEN CASE WHEN target > 0 THEN 999.99 ELSE 100 END ELSE target / actual * 100 END
          ELSE CASE WHEN target = 0 THEN CASE WHEN actual = 0 THEN 100 ELSE 0 END ELSE 100 - abs(actual - target) / abs(target) * 100 END
        END)), 2)
      FROM (
        SELECT uk.id, p::date AS period_start, (p + interval '1 month')::date AS period_end, uk.target_value AS target,
          kd.target_type, round(uk.target_value * (0.6 + random()::numeric * 0.8), 2) AS actual
        FROM user_kpis uk JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
        CROSS JOIN generate_series('${first}'::date, '${last}'::date, interval '1 month') p
      ) m;`;
}

/** Creates (or, with BENCH_KEEP, reuses) kpi_bench, migrated and filled. */
async function prepareDatabase(): Promise<void> {
  if (KEEP && (await hasDataset())) return console.log(`reusing ${DB_NAME} (BENCH_KEEP=1)`);
  const pool = await createMigratedDatabase(DB_NAME);
  try {
    const { first, last } = measuredMonths();
    const started = performance.now();
    await ensureMeasurementPartitions(createDb(pool), first, last);
    await pool.query(datasetSql(first, last));
    const built = performance.now();
    await pool.query("ANALYZE");
    console.log(`dataset built in ${s(built - started)} s, ANALYZE ${s(performance.now() - built)} s`);
  } finally {
    await pool.end();
  }
}

const s = (ms: number) => (ms / 1000).toFixed(1);

/** Child-process mode: the real server on kpi_bench, so its RSS is its own (not the load generator's). */
async function serve(): Promise<void> {
  const server = await startBenchServer(databaseUrl(DB_NAME), {
    RESPONSE_CACHE_MB: process.env.RESPONSE_CACHE_MB,
    SQL_STATEMENT_HEADER: process.env.SQL_STATEMENT_HEADER,
  });
  const running = server.running;
  const stop = async () => {
    await server.stop();
    process.exit(0); // a clean exit writes the --cpu-prof profile
  };
  process.on("message", () => void stop());
  process.on("disconnect", () => void stop()); // the parent died: never linger
  process.send!({ graphqlUrl: running.graphqlUrl });
}

interface ServerProcess {
  graphqlUrl: string;
  child: ChildProcess;
}

function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // NODE_ENV as in production: graphql-js reads it once, at import, to skip its development checks.
  const childEnv = { ...process.env, ...env, NODE_ENV: "production" };
  const child = fork(fileURLToPath(import.meta.url), ["serve"], { execArgv: ["--import", "tsx", ...profile], env: childEnv });
  return new Promise((resolve, reject) => {
    child.once("message", (message: { graphqlUrl: string }) => resolve({ graphqlUrl: message.graphqlUrl, child }));
    child.once("exit", (code) => reject(new Error(`server process exited with ${code}`)));
  });
}

async function stopServerProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return; // it crashed: nothing to stop
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.send("stop");
  await exited;
}

/** Resident memory of the server process in MB, from /proc (Linux). */
function rssMb(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+) kB`));
  return line ? Math.round(Number(line[1]) / 1024) : NaN;
}

async function tokens(): Promise<{ admin: string; user: string; teamIds: number[] }> {
  const config = loadConfig(BENCH_SERVER_ENV);
  const jwt = new JwtService(config.auth, config.auth.jwtSecret);
  return onServer(databaseUrl(DB_NAME), async (c) => {
    const first = async (role: string) =>
      (await c.query("SELECT id, email FROM users WHERE role = $1 ORDER BY id LIMIT 1", [role])).rows[0];
    // Ten teams spread over the range, so the rotation does not read the same few pages only.
    const teams = await c.query("SELECT id FROM teams WHERE id % 20 = 1 ORDER BY id");
    return {
      admin: await jwt.sign(await first("admin")),
      user: await jwt.sign(await first("user")),
      teamIds: teams.rows.map((r) => r.id),
    };
  });
}

interface Scenario {
  name: string;
  token: string;
  bodies: string[];
  /** Throws unless the response is the full dashboard. */
  check(data: any): void;
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(`invalid response: ${message}`);
}

function checkKpis(kpis: any[], who: string): void {
  expect(kpis.length === DEFINITIONS.length, `${who} has ${kpis.length} kpis`);
  for (const kpi of kpis) expect(kpi.trend.length === 6 && kpi.currentMeasurement !== null, `${who} lacks measurements`);
}

const scenarios = (t: Awaited<ReturnType<typeof tokens>>): Scenario[] => [
  {
    name: "team dashboard (admin)",
    token: t.admin,
    bodies: t.teamIds.map((id) => JSON.stringify({ query: TEAM_QUERY, variables: { id: String(id) } })),
    check(data) {
      expect(data.team.members.length === TEAM_SIZE, `${data.team.members.length} members`);
      expect(data.team.averages.kpiAverages.length === DEFINITIONS.length, "kpiAverages");
      for (const member of data.team.members) checkKpis(member.kpis, `member ${member.user.id}`);
    },
  },
  {
    name: "me dashboard (user)",
    token: t.user,
    bodies: [JSON.stringify({ query: ME_QUERY })],
    check: (data) => checkKpis(data.me.kpis, "me"),
  },
];

const headers = (token: string) => ({ "content-type": "application/json", authorization: `Bearer ${token}` });

/** One request by hand: verifies the response, and reads its SQL statement count, size and cache outcome. */
async function sample(url: string, scenario: Scenario): Promise<{ statements: number; bytes: number; cache: string }> {
  const response = await fetch(url, { method: "POST", headers: headers(scenario.token), body: scenario.bodies[0] });
  const text = await response.text();
  const body = JSON.parse(text);
  expect(response.status === 200 && !body.errors, `${response.status} ${text.slice(0, 300)}`);
  scenario.check(body.data);
  const cache = response.headers.get("x-response-cache") ?? "off";
  return { statements: Number(response.headers.get("x-sql-statements")), bytes: Buffer.byteLength(text), cache };
}

/**
 * Drives one scenario for `seconds`, rotating over its bodies. Stops at the first non-2xx, or at a
 * response under half the size of the verified sample (an error body: GraphQL errors come with 200).
 */
async function load(url: string, scenario: Scenario, seconds: number, sampleBytes: number): Promise<autocannon.Result> {
  let next = 0;
  let bad = "";
  const options: autocannon.Options = {
    url,
    method: "POST",
    headers: headers(scenario.token),
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, body: scenario.bodies[next++ % scenario.bodies.length] }) }],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on("response", (_client, status, bytes) => {
      if (bad) return;
      if (status < 200 || status >= 300) bad = `HTTP ${status}`;
      else if (bytes < sampleBytes / 2) bad = `a ${bytes}-byte response (sample: ${sampleBytes})`;
      if (bad) instance.stop();
    });
  });
  if (bad || result.non2xx > 0 || result.errors > 0)
    throw new Error(`${scenario.name}: aborted on ${bad || `${result.errors} errors`}`);
  return result;
}

type Sample = Awaited<ReturnType<typeof sample>> & { first: Awaited<ReturnType<typeof sample>> };

/**
 * Each scenario's statement counts, from a server of the mode with SQL_STATEMENT_HEADER on: counting
 * tracks every promise of a request (AsyncLocalStorage), which cost a cached team dashboard a third
 * of its throughput, so the measured server runs without it. The second sample is, with the cache, a hit.
 */
async function sampleAll(env: Record<string, string>, all: Scenario[]): Promise<Sample[]> {
  const probe = await startServerProcess({ ...env, SQL_STATEMENT_HEADER: "true" });
  try {
    const samples = [];
    for (const scenario of all) {
      const first = await sample(probe.graphqlUrl, scenario);
      const second = await sample(probe.graphqlUrl, scenario);
      samples.push({ ...second, first });
    }
    return samples;
  } finally {
    await stopServerProcess(probe);
  }
}

/** Warms up and measures each scenario; one row of the results table per scenario. */
async function measureAll(
  server: ServerProcess,
  all: Scenario[],
  mode: string,
  samples: Sample[],
): Promise<Record<string, string | number>[]> {
  const rows = [];
  for (const [i, scenario] of all.entries()) {
    const { statements, bytes, cache, first } = samples[i]!;
    await sample(server.graphqlUrl, scenario); // the measured server's answer is checked too
    await load(server.graphqlUrl, scenario, WARMUP_SECONDS, bytes);
    const { requests, latency } = await load(server.graphqlUrl, scenario, SECONDS, bytes);
    rows.push({
      query: scenario.name,
      server: mode,
      "SQL (1st/2nd)": `${first.statements}/${statements} ${first.cache}/${cache}`,
      "req/s (mean)": requests.mean.toFixed(1),
      "p50 ms": latency.p50,
      "p99 ms": latency.p99,
      "server RSS MB": rssMb(server.child.pid!),
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // requests still in flight finish before the next scenario
  }
  return rows;
}

async function bench(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  try {
    await prepareDatabase();
    const all = scenarios(await tokens());
    const rows = [];
    const peaks = [];
    for (const [mode, env] of SERVER_MODES) {
      const samples = await sampleAll(env, all);
      const server = await startServerProcess(env);
      try {
        // Every response is checked against the sample's size, so the measured server answers in full too.
        rows.push(...(await measureAll(server, all, mode, samples)));
        peaks.push(`${mode} ${rssMb(server.child.pid!, "VmHWM")} MB`);
      } finally {
        await stopServerProcess(server);
      }
    }
    console.log(`\n${SECONDS} s per query, ${CONNECTIONS} connections, after a ${WARMUP_SECONDS} s warm-up`);
    // The load generator, the server and PostgreSQL share this host: other work on it skews every figure.
    console.log(`host: ${os.cpus().length} CPUs, 1-minute load average before the run ${loadBefore.toFixed(2)}`);
    console.log("server RSS: its own child process (/proc/<pid>/status VmRSS after the run), load generator excluded");
    console.log(
      "SQL (1st/2nd): statements of a first and a second identical request, and their x-response-cache, on a probe server of the mode\n",
    );
    console.table(rows);
    console.log(`server peak RSS (VmHWM): ${peaks.join(", ")}`);
    console.log("goal: team dashboard p99 < 50 ms and > 300 req/s on 2 cores");
  } finally {
    // A failed drop is reported, without hiding the error that may have ended the run.
    if (!KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

await (process.argv[2] === "serve" ? serve() : bench());
