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
import { dropDatabase } from "./bench-database.js";
import { DB_NAME, prepareDatabase } from "./read-dataset.js";
import {
  CONNECTIONS,
  checkKpis,
  load,
  rssMb,
  sample,
  startServerProcess,
  stopServerProcess,
  teamDashboard,
  tokens,
  type SampleResult,
  type Scenario,
  type ServerProcess,
  type Tokens,
} from "./read-load.js";
import os from "node:os";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = 3;
const KEEP = process.env.BENCH_KEEP === "1";
/** The two servers each query runs against: response cache on (the default) and off. */
const SERVER_MODES: [string, Record<string, string>][] = [
  ["cache", {}],
  ["no cache", { RESPONSE_CACHE_MB: "0" }],
];
const ME_QUERY = `{ me { name overallScore kpis { kpiDefinition { name unit } targetValue weight currentMeasurement { actualValue achievementPercentage } trend(periods: 6) { actualValue } } } }`;

const scenarios = (t: Tokens): Scenario[] => [
  teamDashboard(t),
  {
    name: "me dashboard (user)",
    token: t.user,
    bodies: [JSON.stringify({ query: ME_QUERY })],
    check: (data) => checkKpis(data.me.kpis, "me"),
  },
];

type Sample = SampleResult & { first: SampleResult };

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

await bench();
