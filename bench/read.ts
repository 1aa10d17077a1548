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
import { databaseUrl, dropDatabase, onServer } from "./bench-database.js";
import { DB_NAME, DEFINITIONS, prepareDatabase, TEAM_SIZE } from "./read-dataset.js";
import { BENCH_SERVER_ENV, startBenchServer } from "./bench-server.js";
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { JwtService } from "../src/auth/jwt.js";
import { loadConfig } from "../src/config/config.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP_SECONDS = 3;
const KEEP = process.env.BENCH_KEEP === "1";
/** The two servers each query runs against: response cache on (the default) and off. */
const SERVER_MODES: [string, Record<string, string>][] = [
  ["cache", {}],
  ["no cache", { RESPONSE_CACHE_MB: "0" }],
];
const TEAM_QUERY = `query($id: ID!) { team(id: $id) { name averages { overallScore kpiAverages { kpiDefinition { name } memberCount averageAchievementPercentage } } members { user { id name } overallScore kpis { id weight targetValue kpiDefinition { name unit } currentMeasurement { periodStart actualValue achievementPercentage } trend(periods: 6) { periodStart actualValue } } } } }`;
const ME_QUERY = `{ me { name overallScore kpis { kpiDefinition { name unit } targetValue weight currentMeasurement { actualValue achievementPercentage } trend(periods: 6) { actualValue } } } }`;

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
    await prepareDatabase(KEEP);
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
