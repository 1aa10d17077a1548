/**
 * Soak test (`npm run bench:soak`, issue 12 "Load to hold"): the real server in a child process
 * (bench/soak-server.ts) on 127.0.0.1, under a moderate, steady mix at fixed rates for SOAK_MINUTES
 * (default 10), then a verdict against the pass line; it exits non-zero on a fail, and always stops
 * by itself (a hard deadline kills the server and exits should the orderly stop hang).
 *
 * The mix, each at a fixed rate with a small concurrency (a tick that finds it used up is counted
 * as "behind", not queued), with the web dashboard's own operation documents (web/src/gql):
 * - dashboards: members their UserView, managers their team's TeamView, admins either of any team
 *   or member; the response cache on, as in production (every commit changes its key, so entries
 *   and runs make most requests misses: "hit%");
 * - manual entries (TeamRecordMeasurement) by managers for their members, in the last complete
 *   month: upserts, so the dataset does not grow;
 * - bulk assignments (TeamBulkAssignKpi) of one definition to a manager's whole team, with one start
 *   date: the first for each team creates 50 assignments, later ones find them all existing;
 * - one calculation run a minute (AdminCalculate, every QUERY KPI: one per member), calculated by
 *   the server's in-process worker, followed until final (the "run" latency is queued → final);
 * - CSV exports (GET /exports/teams/:id.csv by managers, /exports/users/:id.csv by members);
 * - SOAK_SOCKETS (default 200) WebSockets (graphql-ws), one per member of the first teams, each
 *   subscribed to its member's measurementRecorded (UserMeasurementRecorded). Every entry for a
 *   subscribed member and every run is counted as the events it must deliver; at the end the load
 *   stops, events in flight get up to EVENT_SETTLE_MS, and then the sockets close.
 *
 * Every minute, one row: per kind the requests, p50 and p99 (ms) of that minute; errors, deliberate
 * 429s and ticks behind; from the server process: mean RSS, event-loop delay p99/max, the main
 * database pool's waiting count (sampled every 50 ms: max/mean) and the WebSockets open.
 *
 * Database: the embedded one (PGlite in the server process, in a fresh temporary DATA_DIR, as a
 * fresh install) by default; PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL is set, in a
 * throw-away database kpi_bench_soak on that server (kept with BENCH_KEEP=1).
 * Settings: SOAK_MINUTES (at least 2), SOAK_SOCKETS, SOAK_LOG_LEVEL (the server's, default error).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { createMigratedDatabase, databaseUrl, dropDatabase } from "./bench-database.js";
import { TEAM_SIZE, type SoakFixtures, type SoakMember, type SoakTeam } from "./soak-dataset.js";
import type { ToParent, ToServer } from "./soak-server.js";
import {
  KINDS,
  Minute,
  P99_GROWTH_LIMIT,
  percentile,
  RSS_GROWTH_LIMIT,
  MIN_JUDGED_SAMPLES,
  tableHeader,
  tableRow,
  verdict,
  type EventTally,
  type Kind,
} from "./soak-stats.js";
import {
  AdminCalculateDocument,
  AdminCalculationRunDocument,
  TeamBulkAssignKpiDocument,
  TeamRecordMeasurementDocument,
  TeamViewDocument,
  UserMeasurementRecordedDocument,
  UserViewDocument,
} from "../web/src/gql/graphql.js";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SOCKETS = Number(process.env.SOAK_SOCKETS ?? 200);
const POSTGRES = Boolean(process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL);
const KEEP = process.env.BENCH_KEEP === "1";
const DB_NAME = "kpi_bench_soak";
const MINUTE_MS = 60_000;
/** Time to wait, once the load has stopped, for events still in flight to reach their subscribers. */
const EVENT_SETTLE_MS = 15_000;
/** Longest a request may take before it counts as an error. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A run not final within this is an error (they take seconds). */
const RUN_TIMEOUT_MS = 50_000;
/** When the first run of each minute starts, so that it ends within the minute. */
const RUN_OFFSET_MS = 5_000;
/** Setup, drain and shutdown together never take longer than this beyond the soak's minutes. */
const HARD_DEADLINE_SLACK_MS = 5 * MINUTE_MS;

/** Requests a second and how many may be in flight, per kind (the run has its own clock: one a minute). */
const RATES: Record<Exclude<Kind, "run">, { perSecond: number; concurrency: number }> = {
  "dash member": { perSecond: 4, concurrency: 4 },
  "dash manager": { perSecond: 2.5, concurrency: 3 },
  "dash admin": { perSecond: 1, concurrency: 2 },
  entry: { perSecond: 3, concurrency: 3 },
  bulk: { perSecond: 1 / 3, concurrency: 1 },
  export: { perSecond: 0.5, concurrency: 2 },
};

if (!Number.isInteger(MINUTES) || MINUTES < 2)
  throw new Error("SOAK_MINUTES must be a whole number, at least 2 (the pass line compares with minute 2)");
if (!Number.isInteger(SOCKETS) || SOCKETS < 1) throw new Error("SOAK_SOCKETS must be a positive whole number");

const queries = {
  teamView: print(TeamViewDocument),
  userView: print(UserViewDocument),
  record: print(TeamRecordMeasurementDocument),
  bulkAssign: print(TeamBulkAssignKpiDocument),
  calculate: print(AdminCalculateDocument),
  run: print(AdminCalculationRunDocument),
  subscription: print(UserMeasurementRecordedDocument),
};

class RateLimited extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

// ---------------------------------------------------------------- the server process

interface ServerProcess {
  child: ChildProcess;
  graphqlUrl: string;
  url: string;
  fixtures: SoakFixtures;
  database: string;
}

function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = fork(fileURLToPath(new URL("./soak-server.ts", import.meta.url)), [], {
    // --expose-gc: each minute's sample is also taken after a full collection (soak-stats.ts verdict).
    execArgv: ["--import", "tsx", "--expose-gc"],
    // NODE_ENV as in production: graphql-js reads it once, at import, to skip its development checks.
    env: { ...process.env, ...env, NODE_ENV: "production" },
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`server process exited with ${code} before it was ready`));
    child.once("exit", onExit);
    child.once("message", (message: ToParent) => {
      if (message.type !== "ready") return reject(new Error(`unexpected message ${message.type}`));
      child.off("exit", onExit);
      resolve({ child, ...message });
    });
  });
}

/** Sends `message` and resolves with the server's next answer of `type`. */
function ask<T extends ToParent["type"]>(
  child: ChildProcess,
  message: ToServer,
  type: T,
): Promise<Extract<ToParent, { type: T }>> {
  return new Promise((resolve) => {
    const onMessage = (answer: ToParent) => {
      if (answer.type !== type) return;
      child.off("message", onMessage);
      resolve(answer as Extract<ToParent, { type: T }>);
    };
    child.on("message", onMessage);
    child.send(message);
  });
}

async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send({ type: "stop" } satisfies ToServer);
  await exited;
}

// ---------------------------------------------------------------- requests

interface Answer {
  cacheHit?: boolean;
}

function client(server: ServerProcess) {
  async function graphql(
    token: string,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ data: any; cacheHit: boolean }> {
    const response = await fetch(server.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.status === 429) throw new RateLimited();
    let body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
    }
    const error = body.errors?.[0];
    if (error) throw new Error(`HTTP ${response.status} ${error.extensions?.code ?? "no code"}: ${error.message}`);
    if (response.status !== 200 || !body.data) throw new Error(`HTTP ${response.status} without data: ${text.slice(0, 200)}`);
    return { data: body.data, cacheHit: response.headers.get("x-response-cache") === "hit" };
  }

  async function csv(token: string, path: string): Promise<void> {
    const response = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.status === 429) throw new RateLimited();
    if (response.status !== 200) throw new Error(`GET ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    if (!response.headers.get("content-type")?.startsWith("text/csv")) throw new Error(`GET ${path}: not CSV`);
    // The header and at least a row: every member has 12 months of five KPIs.
    if (text.split("\n").filter(Boolean).length < 2) throw new Error(`GET ${path}: no rows`);
  }

  return { graphql, csv };
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(`unexpected response: ${message}`);
}

// ---------------------------------------------------------------- subscribers

interface Subscriber {
  member: SoakMember;
  client: Client;
  expected: number;
  received: number;
  failed: number;
  /** The socket closed, or the subscription ended, before the soak closed it. */
  dropped: boolean;
}

function subscribe(
  server: ServerProcess,
  member: SoakMember,
  closing: () => boolean,
  onError: (message: string) => void,
): Subscriber {
  const state = { member, expected: 0, received: 0, failed: 0, dropped: false };
  const drop = (why: string) => {
    if (closing() || state.dropped) return;
    state.dropped = true;
    onError(`subscriber ${member.id}: ${why}`);
  };
  const subscriber: Subscriber = Object.assign(state, {
    client: createClient({
      url: server.graphqlUrl.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${member.token}` },
      retryAttempts: 0,
      on: { closed: (event) => drop(`socket closed (${(event as { code?: number }).code ?? "?"})`) },
    }),
  });
  subscriber.client.subscribe(
    { query: queries.subscription, variables: { userId: String(member.id) } },
    {
      next: (result) => {
        if (result.errors) {
          subscriber.failed++;
          onError(`subscriber ${member.id}: event with errors: ${result.errors[0]?.message}`);
        } else subscriber.received++;
      },
      error: (error) => drop(`subscription failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`),
      complete: () => drop("subscription completed by the server"),
    },
  );
  return subscriber;
}

// ---------------------------------------------------------------- the soak

async function soak(): Promise<boolean> {
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0]!;
  let dataDir: string | undefined;
  let env: Record<string, string>;
  if (POSTGRES) {
    await (await createMigratedDatabase(DB_NAME)).end();
    env = { SOAK_DATABASE_URL: databaseUrl(DB_NAME) };
  } else {
    dataDir = mkdtempSync(join(os.tmpdir(), "kpi-soak-"));
    env = { SOAK_DATA_DIR: dataDir };
  }
  const setup = performance.now();
  const server = await startServerProcess(env);
  // Nothing of ours may outlive the soak: past this, the server is killed and the process exits.
  const hardDeadline = setTimeout(
    () => {
      console.error(`hard deadline reached (${MINUTES} min + ${HARD_DEADLINE_SLACK_MS / MINUTE_MS} min): killing the server`);
      server.child.kill("SIGKILL");
      process.exit(3);
    },
    MINUTES * MINUTE_MS + HARD_DEADLINE_SLACK_MS,
  );
  hardDeadline.unref();
  try {
    return await drive(server, performance.now() - setup, loadBefore, startedAt);
  } finally {
    clearTimeout(hardDeadline);
    await stopServerProcess(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (POSTGRES && !KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

async function drive(server: ServerProcess, setupMs: number, loadBefore: number, startedAt: Date): Promise<boolean> {
  const { fixtures } = server;
  const http = client(server);
  const members = fixtures.teams.flatMap((team) => team.members);
  const subscribedTeams = fixtures.teams.slice(0, Math.ceil(SOCKETS / TEAM_SIZE));
  const subscribedMembers = subscribedTeams.flatMap((team) => team.members).slice(0, SOCKETS);
  if (subscribedMembers.length < SOCKETS) throw new Error(`SOAK_SOCKETS is more than the ${members.length} members`);

  console.log(
    `bench:soak: ${MINUTES} min on ${server.database}; ${fixtures.teams.length} teams of ${TEAM_SIZE}, ` +
      `${fixtures.calculatedAssignments} QUERY assignments a run calculates; set up in ${(setupMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `host: ${os.cpus().length} CPUs, Node ${process.version}, 1-minute load average before ${loadBefore.toFixed(2)}; started ${startedAt.toISOString()}`,
  );
  console.log(
    `rates per second (concurrency): ${Object.entries(RATES)
      .map(([kind, r]) => `${kind} ${+r.perSecond.toFixed(2)} (${r.concurrency})`)
      .join(", ")}, run 1/min; ${SOCKETS} WebSockets`,
  );

  const errorLines: string[] = [];
  let otherErrors = 0;
  const logError = (where: string, message: string) => {
    // The first few in full; the counts say the rest.
    if (errorLines.length < 20) {
      errorLines.push(message);
      console.error(`  error (${where}): ${message}`);
    }
  };

  // The subscribers first, all listening before the first write.
  let closing = false;
  const subscribers = subscribedMembers.map((member) =>
    subscribe(
      server,
      member,
      () => closing,
      (message) => {
        otherErrors++;
        logError("ws", message);
      },
    ),
  );
  const bySubscribedUser = new Map(subscribers.map((s) => [s.member.id, s]));
  const userIds = subscribedMembers.map((member) => member.id);
  for (let waited = 0; ; waited += 200) {
    const { count } = await ask(server.child, { type: "listeners", userIds }, "listeners");
    if (count === SOCKETS) break;
    if (waited > 30_000) throw new Error(`only ${count} of ${SOCKETS} subscriptions are listening after 30 s`);
    await sleep(200);
  }

  const minutes: Minute[] = [new Minute()];
  let current = minutes[0]!;
  const record = async (kind: Kind, act: () => Promise<Answer | void>) => {
    const started = performance.now();
    try {
      const answer = await act();
      const bucket = current.get(kind);
      bucket.latencies.push(performance.now() - started);
      if (answer?.cacheHit) bucket.cacheHits++;
    } catch (error) {
      if (error instanceof RateLimited) current.get(kind).limited++;
      else {
        current.get(kind).errors++;
        logError(kind, error instanceof Error ? error.message : String(error));
      }
    }
  };

  const subscribedTeamIds = new Set(subscribedTeams.map((team) => team.id));
  const otherTeams = fixtures.teams.filter((team) => !subscribedTeamIds.has(team.id));
  const { first, last, end } = fixtures.months;
  const actions: Record<Exclude<Kind, "run">, () => Promise<Answer | void>> = {
    "dash member": async () => {
      const member = pick(members);
      const { data, cacheHit } = await http.graphql(member.token, queries.userView, { id: String(member.id) });
      expect(data.user?.kpis.length >= 6, "a member's dashboard without their KPIs");
      return { cacheHit };
    },
    "dash manager": async () => {
      const team = pick(fixtures.teams);
      const { data, cacheHit } = await http.graphql(team.managerToken, queries.teamView, { id: String(team.id) });
      expect(data.team?.members.length === TEAM_SIZE, "a team dashboard without its members");
      return { cacheHit };
    },
    "dash admin": async () => {
      // Half the team view, half a member's: admins look at both.
      if (Math.random() < 0.5) {
        const team = pick(fixtures.teams);
        const { data, cacheHit } = await http.graphql(fixtures.adminToken, queries.teamView, { id: String(team.id) });
        expect(data.team?.members.length === TEAM_SIZE, "a team dashboard without its members");
        return { cacheHit };
      }
      const member = pick(members);
      const { data, cacheHit } = await http.graphql(fixtures.adminToken, queries.userView, { id: String(member.id) });
      expect(data.user?.kpis.length >= 6, "a member's dashboard without their KPIs");
      return { cacheHit };
    },
    entry: async () => {
      // Half the entries for subscribed members, so that the sockets see a steady stream.
      const team: SoakTeam = pick(Math.random() < 0.5 || otherTeams.length === 0 ? subscribedTeams : otherTeams);
      const member = pick(team.members);
      const input = { periodStart: last, periodEnd: end, actualValue: Math.round(Math.random() * 10_000) / 100 };
      const { data } = await http.graphql(team.managerToken, queries.record, {
        userKpiId: String(pick(member.userKpiIds)),
        input,
      });
      expect(data.recordMeasurement?.periodStart === last, "the entry is not the one recorded");
      const subscriber = bySubscribedUser.get(member.id);
      if (subscriber) subscriber.expected++;
    },
    bulk: async () => {
      const team = pick(fixtures.teams);
      const input = {
        kpiDefinitionId: String(fixtures.bulkDefinitionId),
        teamId: String(team.id),
        startDate: first,
        targetValue: 10,
        weight: 10,
      };
      const { data } = await http.graphql(team.managerToken, queries.bulkAssign, { input });
      const result = data.bulkAssignKpi;
      expect(result.created.length + result.existing.length === TEAM_SIZE, "a bulk assignment that missed members");
    },
    export: async () => {
      if (Math.random() < 0.5) {
        const team = pick(fixtures.teams);
        await http.csv(team.managerToken, `/exports/teams/${team.id}.csv`);
      } else {
        const member = pick(members);
        await http.csv(member.token, `/exports/users/${member.id}.csv`);
      }
    },
  };

  /** One run of every QUERY KPI, followed until final; on success each subscriber is owed one event. */
  const calculationRun = async () => {
    const { data } = await http.graphql(fixtures.adminToken, queries.calculate, { input: {} });
    const id = data.calculateKpis.id as string;
    const deadline = performance.now() + RUN_TIMEOUT_MS;
    for (;;) {
      await sleep(500);
      const run = (await http.graphql(fixtures.adminToken, queries.run, { id })).data.calculationRun;
      if (run.status === "QUEUED" || run.status === "RUNNING") {
        if (performance.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${RUN_TIMEOUT_MS / 1000} s`);
        continue;
      }
      expect(
        run.status === "SUCCEEDED" && run.succeeded === fixtures.calculatedAssignments,
        `run ${id} ended ${run.status} with ${run.succeeded} of ${fixtures.calculatedAssignments} succeeded`,
      );
      for (const subscriber of subscribers) subscriber.expected++;
      return;
    }
  };

  // The load: fixed rates, from now until the last minute ends.
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const start = (kind: Kind, act: () => Promise<Answer | void>) => {
    const promise = record(kind, act).finally(() => inFlight.delete(promise));
    inFlight.add(promise);
  };
  const timers: NodeJS.Timeout[] = [];
  for (const [kind, { perSecond, concurrency }] of Object.entries(RATES) as [
    Exclude<Kind, "run">,
    (typeof RATES)[keyof typeof RATES],
  ][]) {
    let running = 0;
    timers.push(
      setInterval(() => {
        if (stopped) return;
        if (running >= concurrency) return void current.get(kind).behind++;
        running++;
        start(kind, () => actions[kind]().finally(() => running--));
      }, 1000 / perSecond),
    );
  }
  const startRun = () => !stopped && start("run", calculationRun);
  timers.push(setTimeout(() => (startRun(), timers.push(setInterval(startRun, MINUTE_MS))), RUN_OFFSET_MS));

  console.log(`\n${tableHeader()}`);
  for (let index = 1; index <= MINUTES; index++) {
    await sleep(MINUTE_MS);
    const minute = current;
    if (index === MINUTES) {
      // The writers stop before the last row, so that it counts every request of the minute.
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      minute.server = (await ask(server.child, { type: "sample" }, "sample")).sample;
      await Promise.all(inFlight);
    } else {
      minute.server = (await ask(server.child, { type: "sample" }, "sample")).sample;
      current = new Minute();
      minutes.push(current);
    }
    console.log(tableRow(index, minute));
  }

  // Events still in flight reach their subscribers; then the sockets close.
  const owed = () => subscribers.filter((s) => !s.dropped && s.received < s.expected).length;
  const settleUntil = performance.now() + EVENT_SETTLE_MS;
  while (owed() > 0 && performance.now() < settleUntil) await sleep(200);
  closing = true;
  await Promise.all(
    subscribers.map(async (s) => {
      await s.client.dispose();
    }),
  );

  const stayed = subscribers.filter((s) => !s.dropped);
  const events: EventTally = {
    subscribers: subscribers.length,
    dropped: subscribers.length - stayed.length,
    expected: stayed.reduce((sum, s) => sum + s.expected, 0),
    received: stayed.reduce((sum, s) => sum + s.received, 0),
    lost: stayed.reduce((sum, s) => sum + Math.max(0, s.expected - s.received), 0),
    extra: stayed.reduce((sum, s) => sum + Math.max(0, s.received - s.expected), 0),
    failed: subscribers.reduce((sum, s) => sum + s.failed, 0),
  };

  console.log("\nwhole soak, per kind (ms):");
  console.table(
    KINDS.map((kind) => {
      const all = minutes.map((m) => m.get(kind));
      const latencies = all.flatMap((k) => k.latencies);
      return {
        kind,
        requests: latencies.length,
        errors: all.reduce((sum, k) => sum + k.errors, 0),
        "429s": all.reduce((sum, k) => sum + k.limited, 0),
        behind: all.reduce((sum, k) => sum + k.behind, 0),
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(percentile(latencies, 100)),
      };
    }),
  );
  // The machine is shared: a p99 that moved with the load average is the machine's, not the server's.
  console.log(`1-minute load average at the end ${os.loadavg()[0]!.toFixed(2)} (before: ${loadBefore.toFixed(2)})`);
  const checks = verdict(minutes, events, otherErrors);
  console.log(
    `pass line: 0 errors but deliberate 429s; RSS (after a full collection) of minute ${MINUTES} at most +${RSS_GROWTH_LIMIT * 100} % over minute 2; ` +
      `p99 of minute ${MINUTES} at most +${P99_GROWTH_LIMIT * 100} % over minute 2 for every kind with ${MIN_JUDGED_SAMPLES}+ requests in both; ` +
      `no lost live event for a subscriber that stayed connected`,
  );
  for (const check of checks) console.log(`  ${check.pass ? "PASS" : "FAIL"} ${check.name}: ${check.detail}`);
  const pass = checks.every((check) => check.pass);
  console.log(`verdict: ${pass ? "PASS" : "FAIL"}`);
  return pass;
}

const pass = await soak();
process.exit(pass ? 0 : 1);
