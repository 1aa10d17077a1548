/**
 * What the dashboard benchmarks under load share (bench:read, bench:peer): the real server in a
 * child process on kpi_bench, the tokens and teams they read with, the team dashboard, and
 * autocannon driving that checks every response's size. Forked with `serve`, this file is that
 * child process.
 */
import autocannon from "autocannon";
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { databaseUrl, onServer } from "./bench-database.js";
import { DB_NAME, DEFINITIONS, TEAM_SIZE } from "./read-dataset.js";
import { BENCH_SERVER_ENV, startBenchServer } from "./bench-server.js";
import { JwtService } from "../src/auth/jwt.js";
import { loadConfig } from "../src/config/config.js";

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** A server process that has not said it listens within this long is taken for hung. */
const START_TIMEOUT_MS = 120_000;

export const TEAM_QUERY = `query($id: ID!) { team(id: $id) { name averages { overallScore kpiAverages { kpiDefinition { name } memberCount averageAchievementPercentage } } members { user { id name } overallScore kpis { id weight targetValue kpiDefinition { name unit } currentMeasurement { periodStart actualValue achievementPercentage } trend(periods: 6) { periodStart actualValue } } } } }`;

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

export interface ServerProcess {
  graphqlUrl: string;
  child: ChildProcess;
}

/**
 * Forks the server process `entry` (TypeScript, through tsx, with `execArgv` after that) and
 * resolves with the GraphQL URL it sends once it listens. BENCH_CPU_PROF=<dir> profiles it there.
 */
export function forkServer(entry: string, env: Record<string, string>, execArgv: string[] = []): Promise<ServerProcess> {
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // NODE_ENV as in production: graphql-js reads it once, at import, to skip its development checks.
  const childEnv = { ...process.env, ...env, NODE_ENV: "production" };
  const child = fork(entry, ["serve"], { execArgv: ["--import", "tsx", ...execArgv, ...profile], env: childEnv });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server process ${entry} not ready after ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.once("message", (message: { graphqlUrl: string }) => {
      clearTimeout(timer);
      resolve({ graphqlUrl: message.graphqlUrl, child });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${code}`));
    });
  });
}

/** Our server in a child process, with `env` on top of the benchmarks' settings. */
export const startServerProcess = (env: Record<string, string>) => forkServer(fileURLToPath(import.meta.url), env);

export async function stopServerProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return; // it crashed: nothing to stop
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.send("stop");
  await exited;
}

/** Resident memory of the server process in MB, from /proc (Linux). */
export function rssMb(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+) kB`));
  return line ? Math.round(Number(line[1]) / 1024) : NaN;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); NaN once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export type Tokens = Awaited<ReturnType<typeof tokens>>;

export async function tokens(): Promise<{ admin: string; user: string; teamIds: number[] }> {
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

export interface Scenario {
  name: string;
  /** Bearer token; none for a server without authentication. */
  token?: string;
  bodies: string[];
  /** Throws unless the response is the full dashboard. */
  check(data: any): void;
}

export function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(`invalid response: ${message}`);
}

export function checkKpis(kpis: any[], who: string): void {
  expect(kpis.length === DEFINITIONS.length, `${who} has ${kpis.length} kpis`);
  for (const kpi of kpis) expect(kpi.trend.length === 6 && kpi.currentMeasurement !== null, `${who} lacks measurements`);
}

/** TEAM_QUERY over the ten teams of `t`, as an admin. */
export const teamDashboard = (t: Tokens, name = "team dashboard (admin)"): Scenario => ({
  name,
  token: t.admin,
  bodies: t.teamIds.map((id) => JSON.stringify({ query: TEAM_QUERY, variables: { id: String(id) } })),
  check(data) {
    expect(data.team.members.length === TEAM_SIZE, `${data.team.members.length} members`);
    expect(data.team.averages.kpiAverages.length === DEFINITIONS.length, "kpiAverages");
    for (const member of data.team.members) checkKpis(member.kpis, `member ${member.user.id}`);
  },
});

const headers = (token?: string): Record<string, string> => ({
  "content-type": "application/json",
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

export interface SampleResult {
  statements: number;
  bytes: number;
  cache: string;
  data: any;
}

/**
 * One request by hand (the scenario's `body`-th body): verifies the response, and reads its SQL
 * statement count, size and cache outcome.
 */
export async function sample(url: string, scenario: Scenario, body = 0): Promise<SampleResult> {
  const response = await fetch(url, { method: "POST", headers: headers(scenario.token), body: scenario.bodies[body] });
  const text = await response.text();
  const parsed = JSON.parse(text);
  expect(response.status === 200 && !parsed.errors, `${response.status} ${text.slice(0, 300)}`);
  scenario.check(parsed.data);
  const cache = response.headers.get("x-response-cache") ?? "off";
  const statements = Number(response.headers.get("x-sql-statements"));
  return { statements, bytes: Buffer.byteLength(text), cache, data: parsed.data };
}

/**
 * Drives one scenario for `seconds`, rotating over its bodies. Stops at the first non-2xx, or at a
 * response under half the size of the verified sample (an error body: GraphQL errors come with 200).
 */
export async function load(url: string, scenario: Scenario, seconds: number, sampleBytes: number): Promise<autocannon.Result> {
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

if (process.argv[2] === "serve" && realpathSync(process.argv[1]!) === fileURLToPath(import.meta.url)) await serve();
