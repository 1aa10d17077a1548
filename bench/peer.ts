/**
 * Peer benchmark (issue 14, "Uncached dashboards faster than PostGraphile"): our server against
 * PostGraphile 5 on bench:read's dataset (kpi_bench), both as production servers in child
 * processes with a pool of 10, every request executed in full (our RESPONSE_CACHE_MB=0;
 * PostGraphile has no response cache). `npm run bench:peer`; settings: BENCH_DATABASE_URL,
 * BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_KEEP=1, BENCH_CPU_PROF=<dir>.
 *
 * Three scenarios over bench:read's ten teams: PostGraphile and ours reading the same fields of a
 * team (members, their KPIs with definition, the last 6 measurements), and our full team dashboard
 * (bench:read's TEAM_QUERY). They run in rounds, each scenario once per round, the order rotating
 * from round to round, so that a drift of the shared host's load spreads over all of them.
 */
import { dropDatabase, databaseUrl, onServer } from "./bench-database.js";
import { BENCH_SERVER_ENV } from "./bench-server.js";
import { DB_NAME, DEFINITIONS, prepareDatabase, TEAM_SIZE } from "./read-dataset.js";
import {
  CONNECTIONS,
  cpuMs,
  expect,
  forkServer,
  load,
  rssMb,
  sample,
  startServerProcess,
  stopServerProcess,
  teamDashboard,
  tokens,
  type Scenario,
  type ServerProcess,
  type Tokens,
} from "./read-load.js";
import os from "node:os";
import { fileURLToPath } from "node:url";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_SECONDS = 3;
const KEEP = process.env.BENCH_KEEP === "1";
/** Our server as measured: every request executed in full, as after every write. */
const OURS_ENV = { RESPONSE_CACHE_MB: "0" };
/** Everything but the measured load (dataset, start-ups, samples) gets this long; the load its own duration. */
const SETUP_BUDGET_S = 600;
const TARGETS = { sameFields: 1.5, fullDashboard: 1.0, p99Ms: 250, statements: 8 };

const PEER_QUERY = `query($id: Int!) { teamByRowId(rowId: $id) { name teamMembersByTeamId { nodes { userByUserId { rowId name userKpisByUserId { nodes { rowId weight targetValue kpiDefinitionByKpiDefinitionId { rowId name unit } kpiMeasurementsByUserKpiId(first: 6, orderBy: PERIOD_START_DESC) { nodes { periodStart actualValue achievementPercentage } } } } } } } } }`;
const OURS_QUERY = `query($id: ID!) { team(id: $id) { name members { user { id name kpis { id weight targetValue kpiDefinition { id name unit } trend(periods: 6) { periodStart actualValue achievementPercentage } } } } } }`;

/** A team's members, their KPIs and each one's measurements, whichever server answered. */
type TeamValues = { periodStart: string; actualValue: number | string | null }[][][];

const peerValues = (data: any): TeamValues =>
  data.teamByRowId.teamMembersByTeamId.nodes.map((member: any) =>
    member.userByUserId.userKpisByUserId.nodes.map((kpi: any) => kpi.kpiMeasurementsByUserKpiId.nodes),
  );
const oursValues = (data: any): TeamValues =>
  data.team.members.map((member: any) => member.user.kpis.map((kpi: any) => kpi.trend));

/** Counts of members, KPIs and measurements, and the sum of the values in cents (PostGraphile sends numerics as strings). */
function summary(team: TeamValues): string {
  const kpis = team.flat();
  const values = kpis.flat();
  const cents = values.reduce((sum, value) => sum + Math.round(Number(value.actualValue) * 100), 0);
  return `${team.length} members, ${kpis.length} kpis, ${values.length} values, sum ${cents / 100}`;
}

function checkTeam(team: TeamValues, who: string): void {
  expect(team.length === TEAM_SIZE, `${who}: ${team.length} members`);
  for (const kpis of team) {
    expect(kpis.length === DEFINITIONS.length, `${who}: a member with ${kpis.length} kpis`);
    for (const values of kpis) expect(values.length === 6, `${who}: a kpi with ${values.length} measurements`);
  }
}

interface PeerScenario extends Scenario {
  server: "PostGraphile" | "ours";
}

const scenarios = (t: Tokens): PeerScenario[] => [
  {
    name: "PostGraphile same fields",
    server: "PostGraphile",
    bodies: t.teamIds.map((id) => JSON.stringify({ query: PEER_QUERY, variables: { id } })),
    check: (data) => checkTeam(peerValues(data), "PostGraphile"),
  },
  {
    name: "ours same fields",
    server: "ours",
    token: t.admin,
    bodies: t.teamIds.map((id) => JSON.stringify({ query: OURS_QUERY, variables: { id: String(id) } })),
    check: (data) => checkTeam(oursValues(data), "ours"),
  },
  { ...teamDashboard(t, "ours full team dashboard"), server: "ours" },
];

/** The SQL statements PostGraphile's pool has run so far, from its process. */
function peerStatements(peer: ServerProcess): Promise<number> {
  return new Promise((resolve) => {
    peer.child.once("message", (message: { statements: number }) => resolve(message.statements));
    peer.child.send("statements");
  });
}

/** Our statements per request of each of our scenarios, from a probe server with SQL_STATEMENT_HEADER on (bench:read's sampleAll). */
async function ourStatements(all: PeerScenario[]): Promise<Map<PeerScenario, number>> {
  const probe = await startServer(startServerProcess({ ...OURS_ENV, SQL_STATEMENT_HEADER: "true" }));
  try {
    const counts = new Map<PeerScenario, number>();
    for (const scenario of all.filter((s) => s.server === "ours"))
      counts.set(scenario, (await sample(probe.graphqlUrl, scenario)).statements);
    return counts;
  } finally {
    await stopServerProcess(probe);
  }
}

/**
 * Both servers must read the same rows: for each of the ten teams, the same counts of members, KPIs
 * and measurements and the same sum of values, or the bench stops. Returns the smallest response of
 * each scenario, the size under half of which load() stops.
 */
async function compareAnswers(all: PeerScenario[], urls: Record<PeerScenario["server"], string>): Promise<number[]> {
  const [peer, same, full] = all as [PeerScenario, PeerScenario, PeerScenario];
  const bytes = all.map(() => Infinity);
  let example = "";
  for (const body of peer.bodies.keys()) {
    const theirs = await sample(urls.PostGraphile, peer, body);
    const ours = await sample(urls.ours, same, body);
    const [a, b] = [summary(peerValues(theirs.data)), summary(oursValues(ours.data))];
    if (a !== b) throw new Error(`the servers read different rows for ${peer.bodies[body]}: PostGraphile ${a}, ours ${b}`);
    example ||= a;
    const dashboard = await sample(urls.ours, full, body);
    [theirs, ours, dashboard].forEach((s, i) => (bytes[i] = Math.min(bytes[i]!, s.bytes)));
  }
  console.log(`both servers read the same rows for each of the ${peer.bodies.length} teams, e.g. ${example}`);
  return bytes;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  /** CPU ms per request of the server process and of PostgreSQL's backends on kpi_bench. */
  serverCpu: number;
  databaseCpu: number;
}

/**
 * CPU used so far by each PostgreSQL backend on kpi_bench, when PostgreSQL runs on this host (its
 * /proc entries readable); empty otherwise. Only the loaded server's pool is busy during a load.
 */
async function backendCpu(): Promise<Map<number, number>> {
  const sql = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()";
  const pids: number[] = await onServer(databaseUrl(DB_NAME), async (c) =>
    (await c.query(sql, [DB_NAME])).rows.map((r) => r.pid),
  );
  return new Map(pids.map((pid) => [pid, cpuMs(pid)] as const).filter(([, ms]) => !Number.isNaN(ms)));
}

/** The backends' CPU since `before`; a backend that connected since counts from zero. */
async function backendCpuSince(before: Map<number, number>): Promise<number> {
  const now = await backendCpu();
  if (now.size === 0) return NaN;
  return [...now].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const perRound = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join(" / ");

/** Every server process started, so that the run stops them all, and the watchdog kills them. */
const started: ServerProcess[] = [];

async function startServer(starting: Promise<ServerProcess>): Promise<ServerProcess> {
  const server = await starting;
  started.push(server);
  return server;
}

/** Bounds the run: past its budget, the server processes are killed and the run fails. */
function watchdog(): NodeJS.Timeout {
  const budget = SETUP_BUDGET_S + 3 * (WARMUP_SECONDS + 2) + ROUNDS * 3 * (SECONDS + 3);
  const timer = setTimeout(() => {
    console.error(`bench:peer: still running after ${budget} s, stopping`);
    for (const { child } of started) child.kill("SIGKILL");
    const drop = KEEP ? Promise.resolve() : dropDatabase(DB_NAME).catch(console.error);
    void drop.finally(() => process.exit(1));
  }, budget * 1000);
  timer.unref();
  return timer;
}

async function bench(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  // The load generator, both servers and PostgreSQL share this host: other work on it skews every figure.
  console.log(`host: ${os.cpus().length} CPUs, 1-minute load average before the run ${loadBefore.toFixed(2)}`);
  const timer = watchdog();
  try {
    await prepareDatabase(KEEP);
    const all = scenarios(await tokens());
    const statements = await ourStatements(all);
    const peer = await startServer(
      forkServer(
        fileURLToPath(new URL("./peer-server.ts", import.meta.url)),
        {
          PEER_DATABASE_URL: databaseUrl(DB_NAME),
          PEER_POOL_MAX: BENCH_SERVER_ENV.DATABASE_POOL_MAX,
          GRAPHILE_ENV: "production",
        },
        ["--import", new URL("./peer-polyfill.ts", import.meta.url).href],
      ),
    );
    const ours = await startServer(startServerProcess(OURS_ENV));
    const urls = { PostGraphile: peer.graphqlUrl, ours: ours.graphqlUrl };
    const before = await peerStatements(peer);
    await sample(urls.PostGraphile, all[0]!);
    statements.set(all[0]!, (await peerStatements(peer)) - before);
    const bytes = await compareAnswers(all, urls);

    for (const [i, scenario] of all.entries()) await load(urls[scenario.server], scenario, WARMUP_SECONDS, bytes[i]!);
    const results: Measured[][] = all.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < all.length; k++) {
        const i = (k + round) % all.length;
        const scenario = all[i]!;
        const server = scenario.server === "ours" ? ours : peer;
        const [serverBefore, databaseBefore] = [cpuMs(server.child.pid!), await backendCpu()];
        const { requests, latency } = await load(urls[scenario.server], scenario, SECONDS, bytes[i]!);
        const [serverCpu, databaseCpu] = [cpuMs(server.child.pid!) - serverBefore, await backendCpuSince(databaseBefore)];
        results[i]!.push({
          rps: requests.mean,
          p50: latency.p50,
          p99: latency.p99,
          serverCpu: serverCpu / requests.total,
          databaseCpu: databaseCpu / requests.total,
        });
        console.log(`round ${round + 1}: ${scenario.name} ${requests.mean.toFixed(1)} req/s, p99 ${latency.p99} ms`);
        await new Promise((resolve) => setTimeout(resolve, 1000)); // requests still in flight finish before the next scenario
      }
    }
    const memory = {
      PostGraphile: [rssMb(peer.child.pid!), rssMb(peer.child.pid!, "VmHWM")],
      ours: [rssMb(ours.child.pid!), rssMb(ours.child.pid!, "VmHWM")],
    };
    report(all, results, statements, memory, loadBefore);
  } finally {
    for (const server of started) await stopServerProcess(server); // those already stopped return at once
    clearTimeout(timer);
    // A failed drop is reported, without hiding the error that may have ended the run.
    if (!KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

function report(
  all: PeerScenario[],
  results: Measured[][],
  statements: Map<PeerScenario, number>,
  memory: Record<PeerScenario["server"], number[]>,
  loadBefore: number,
): void {
  const peerRps = results[0]!.map((r) => r.rps);
  const ratio = (i: number) => mean(results[i]!.map((r) => r.rps)) / mean(peerRps);
  const rows = all.map((scenario, i) => {
    const rps = results[i]!.map((r) => r.rps);
    return {
      scenario: scenario.name,
      "req/s per round": perRound(rps, 1),
      "req/s mean": mean(rps).toFixed(1),
      "p50 ms": Math.round(mean(results[i]!.map((r) => r.p50))),
      "p99 ms": Math.round(mean(results[i]!.map((r) => r.p99))),
      "SQL/req": statements.get(scenario),
      "server CPU ms/req": mean(results[i]!.map((r) => r.serverCpu)).toFixed(1),
      "db CPU ms/req": mean(results[i]!.map((r) => r.databaseCpu)).toFixed(1),
      "× PG per round": perRound(
        rps.map((r, round) => r / peerRps[round]!),
        2,
      ),
      "× PG": ratio(i).toFixed(2),
      "RSS MB": memory[scenario.server][0],
      "peak MB": memory[scenario.server][1],
    };
  });
  console.log(
    `\n${ROUNDS} rounds of ${SECONDS} s per scenario (order rotating), ${CONNECTIONS} connections, after a ${WARMUP_SECONDS} s warm-up each`,
  );
  console.log(
    `host: ${os.cpus().length} CPUs, 1-minute load average before the run ${loadBefore.toFixed(2)}, after ${os.loadavg()[0]!.toFixed(2)}`,
  );
  console.log(
    "PostGraphile 5 (Amber preset): no authentication, every request on one pool as the database owner; ours: an admin's JWT, permissions applied, RESPONSE_CACHE_MB=0",
  );
  console.log("p50/p99: mean over the rounds; × PG: req/s over PostGraphile same fields' (per round, and of the means)");
  console.log("SQL/req: one request before the load (ours: a probe server's x-sql-statements; PostGraphile: its pool's count)");
  console.log(
    "CPU ms/req: CPU time over requests answered during the rounds, of the server process and of PostgreSQL's backends on kpi_bench (/proc; NaN for a remote PostgreSQL): steadier than req/s on a shared host",
  );
  console.log("RSS/peak: each server's own process (/proc/<pid>/status VmRSS after the run, VmHWM), load generator excluded\n");
  console.table(rows);
  const ourRows = all.flatMap((scenario, i) => (scenario.server === "ours" ? [i] : []));
  const worstP99 = Math.max(...ourRows.flatMap((i) => results[i]!.map((r) => r.p99)));
  const mostStatements = Math.max(...ourRows.map((i) => statements.get(all[i]!)!));
  const verdict = (met: boolean) => (met ? "met" : "NOT met");
  console.log("issue 14 targets (ours, every request executed):");
  console.log(
    `  same fields ≥ ${TARGETS.sameFields}× PostGraphile: ${ratio(1).toFixed(2)}× ${verdict(ratio(1) >= TARGETS.sameFields)}`,
  );
  console.log(
    `  full team dashboard ≥ ${TARGETS.fullDashboard.toFixed(1)}× PostGraphile same fields: ${ratio(2).toFixed(2)}× ${verdict(ratio(2) >= TARGETS.fullDashboard)}`,
  );
  console.log(`  p99 < ${TARGETS.p99Ms} ms: worst round ${worstP99} ms ${verdict(worstP99 < TARGETS.p99Ms)}`);
  console.log(
    `  ≤ ${TARGETS.statements} SQL statements per request: ${mostStatements} ${verdict(mostStatements <= TARGETS.statements)}`,
  );
}

await bench();
