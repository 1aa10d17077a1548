import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import { userExternalIds, userKpis, users } from "../../src/db/schema/index.js";
import { createLogger } from "../../src/lib/logger.js";
import { lastMonth } from "../helpers/calculation.js";
import { buildDefinition, unique } from "../helpers/factories.js";
import { ownPostgresUnavailable, startOwnPostgres, type OwnPostgres } from "../helpers/own-postgres.js";
import { migrateDatabase } from "../helpers/private-database.js";
import { createRoleWorld } from "../helpers/roles.js";
import { startTestServer, type GraphQLResponse, type TestServer } from "../helpers/server.js";
import { until } from "../helpers/waiting.js";

/**
 * The database goes away under load: a PostgreSQL of this file's own is stopped (fast shutdown) for
 * 10 s while requests and a calculation run go through the server, then started again on the same
 * port and data folder. Meanwhile /readyz says 503 and every request gets a quick, clean
 * SERVICE_UNAVAILABLE; afterwards the same server process serves again, every write it
 * acknowledged is in the database, and the run finishes.
 *
 * PostgreSQL only: the embedded database lives inside the server process, so it cannot go away
 * while the server stays up (its crash is test/integration/embedded-crash.test.ts).
 */

const skipReason =
  inject("databaseKind") === "embedded"
    ? "the embedded database runs inside the server process: it cannot go away while the server stays up"
    : ownPostgresUnavailable();
if (skipReason) console.warn(`database-outage.test.ts skipped: ${skipReason}`);

const OUTAGE_MS = 10_000;
/** Well under any client timeout: a request during the outage must fail fast, not hang. */
const QUICK_MS = 2_000;
const MANUAL_ASSIGNMENTS = 400;
const API_USERS = 6;

const ME = `{ me { id } }`;
const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email } }`;
const RECORD = `mutation($userKpiId: ID!, $input: RecordMeasurementInput!) { recordMeasurement(userKpiId: $userKpiId, input: $input) { id actualValue } }`;
const CALCULATE_KPIS = `mutation($input: CalculateInput!) { calculateKpis(input: $input) { id status } }`;
const RUN = `query($id: ID!) { calculationRun(id: $id) { id status succeeded failed skipped } }`;

/** A fake Intercom that holds every request until release(): a run stuck mid-batch when the outage begins. */
class HoldingIntercom {
  readonly held: ServerResponse[] = [];
  private holding = true;
  constructor(readonly server: Server) {}

  static async start(): Promise<HoldingIntercom> {
    const fake: HoldingIntercom = new HoldingIntercom(
      createServer((req, res) => {
        req.resume();
        req.on("end", () => (fake.holding ? fake.held.push(res) : HoldingIntercom.answer(res)));
      }),
    );
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url() {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  release() {
    this.holding = false;
    for (const res of this.held.splice(0)) HoldingIntercom.answer(res);
  }

  private static answer(res: ServerResponse) {
    const conversations = [1, 2].map((id) => ({ id: String(id), state: "closed", statistics: { time_to_admin_reply: 60 } }));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "conversation.list", conversations, total_count: 2, pages: { total_pages: 1 } }));
  }

  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

interface Outcome {
  operation: string;
  ms: number;
  status: number;
  codes: string[];
  retryAfter: string | null;
  body: string;
}

/** What the server logged, one parsed JSON line each. */
const logged: { level: number; msg: string; line: string }[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split("\n").filter(Boolean)) logged.push({ ...JSON.parse(line), line });
    done();
  },
});

let database: OwnPostgres | undefined;
let intercom: HoldingIntercom | undefined;
let server: TestServer | undefined;

/**
 * Cleanup, each step bounded: once in about five runs under a loaded machine a step did not end
 * within the hook's 60 s (not reproduced since). The test's own assertions have passed by then, so
 * a slow step is reported, with its name, instead of failing the file.
 */
afterAll(async () => {
  const bounded = async (step: string, work: () => Promise<unknown> | undefined) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), 25_000)));
    const outcome = await Promise.race([Promise.resolve(work()).catch(() => undefined), late]);
    clearTimeout(timer);
    if (outcome === "late") console.warn(`database-outage.test.ts: cleanup step "${step}" took over 25 s; left behind`);
  };
  intercom?.release();
  await bounded("stop the server", () => server?.stop());
  intercom?.close();
  await bounded("stop the test's PostgreSQL", () => database?.destroy());
}, 70_000);

describe.skipIf(skipReason)("the database goes away under load", () => {
  let admin: string;
  let manualIds: number[];
  let apiDefinitionId: number;

  beforeAll(async () => {
    database = await startOwnPostgres();
    await migrateDatabase(database.url);
    intercom = await HoldingIntercom.start();
    server = await startTestServer(
      {
        DATABASE_URL: database.url,
        JOBS_ENABLED: "true",
        JOBS_PROCESS_EVERY_MS: "200",
        JOBS_LOCK_LIFETIME_MS: "3000",
        JOBS_BATCH_SIZE: "2",
        JOBS_CONCURRENCY: "1",
        KPI_TIMEZONE: "UTC",
        INTERCOM_BASE_URL: intercom.url,
        INTERCOM_ACCESS_TOKEN: "test-token",
        ADAPTER_TIMEOUT_MS: "60000",
      },
      { log: createLogger("info", logStream) },
    );
    const db = server.database.db;
    admin = (await createRoleWorld(server)).tokens.admin!;

    // Manual assignments, each written at most once under load, so that a write's acknowledged
    // value is the one that must be stored. Hundreds of rows: one INSERT per table, not a factory per row.
    const manual = await buildDefinition(db, { dataSource: { type: "manual", allowed_range: { min: 0, max: 1_000_000 } } });
    const people = await db
      .insert(users)
      .values(
        Array.from({ length: MANUAL_ASSIGNMENTS }, () => ({ name: unique("Load"), email: `${unique("load")}@test.example` })),
      )
      .returning({ id: users.id });
    const assigned = await db
      .insert(userKpis)
      .values(
        people.map((p) => ({ userId: p.id, kpiDefinitionId: manual.id, targetValue: 4, weight: 50, startDate: "2020-01-01" })),
      )
      .returning({ id: userKpis.id });
    manualIds = assigned.map((row) => row.id);

    const api = await buildDefinition(db, {
      calculationType: "api",
      dataSource: { type: "intercom", endpoint: "conversations", metric: "conversation_count" },
      unit: "count",
    });
    apiDefinitionId = api.id;
    const agents = await db
      .insert(users)
      .values(Array.from({ length: API_USERS }, () => ({ name: unique("Agent"), email: `${unique("agent")}@test.example` })))
      .returning({ id: users.id });
    await db
      .insert(userExternalIds)
      .values(agents.map((a, i) => ({ userId: a.id, provider: "intercom", externalId: `agent-${i}` })));
    await db
      .insert(userKpis)
      .values(
        agents.map((a) => ({ userId: a.id, kpiDefinitionId: api.id, targetValue: 4, weight: 50, startDate: "2020-01-01" })),
      );
    await ensureMeasurementPartitions(db, lastMonth().start, lastMonth().start);
  }, 90_000);

  /** A CSV download, a plain HTTP route: an outage answers it as GraphQL's. */
  async function download(): Promise<Outcome> {
    const started = performance.now();
    const response = await fetch(`${server!.url}/exports/users/1.csv`, { headers: { authorization: `Bearer ${admin}` } });
    const body = await response.text();
    const parsed = JSON.parse(body) as GraphQLResponse;
    return {
      operation: "export",
      ms: performance.now() - started,
      status: response.status,
      codes: (parsed.errors ?? []).map((e) => String(e.extensions?.code)),
      retryAfter: response.headers.get("retry-after"),
      body,
    };
  }

  async function send(operation: string, query: string, variables?: Record<string, unknown>): Promise<Outcome & GraphQLResponse> {
    const started = performance.now();
    const response = await fetch(server!.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.text();
    const parsed = JSON.parse(body) as GraphQLResponse;
    return {
      ...parsed,
      headers: response.headers,
      operation,
      ms: performance.now() - started,
      status: response.status,
      codes: (parsed.errors ?? []).map((e) => String(e.extensions?.code)),
      retryAfter: response.headers.get("retry-after"),
      body,
    };
  }

  it("answers SERVICE_UNAVAILABLE quickly while it is down, then serves again without a restart and loses no acknowledged write", async () => {
    const outcomes: Outcome[] = [];
    const createdUsers: { id: string; email: string }[] = [];
    const recorded = new Map<number, number>();
    let next = 0;
    let loading = true;

    // Four clients in a loop: a read, a createUser and a recordMeasurement each round.
    const client = async (n: number) => {
      for (let round = 0; loading; round++) {
        const kind = (round + n) % 3;
        if (kind === 0) {
          outcomes.push(await send("me", ME));
        } else if (kind === 1) {
          const email = `${unique("outage")}@test.example`;
          const res = await send("createUser", CREATE_USER, { input: { email, name: unique("Outage"), role: "USER" } });
          outcomes.push(res);
          if (!res.errors && res.data?.createUser) createdUsers.push(res.data.createUser);
        } else if (next < manualIds.length) {
          const userKpiId = manualIds[next++]!;
          const value = Math.floor(Math.random() * 1_000_000);
          const res = await send("recordMeasurement", RECORD, {
            userKpiId: String(userKpiId),
            input: { actualValue: value, periodStart: lastMonth().start, periodEnd: lastMonth().end },
          });
          outcomes.push(res);
          if (!res.errors && res.data?.recordMeasurement) recorded.set(userKpiId, value);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };

    // A run stuck on Intercom when the database goes away.
    const queued = await send("calculateKpis", CALCULATE_KPIS, { input: { kpiDefinitionId: String(apiDefinitionId) } });
    expect(queued.errors).toBeUndefined();
    const runId = queued.data!.calculateKpis.id as string;
    await until("the run to be stuck on Intercom", async () => intercom!.held.length > 0);
    expect((await send("run", RUN, { id: runId })).data!.calculationRun.status).toBe("RUNNING");

    const clients = [0, 1, 2, 3].map(client);
    try {
      await until("a few acknowledged writes", async () => createdUsers.length >= 5 && recorded.size >= 5);

      await database!.stop();
      const outageStarted = Date.now();
      const during: Outcome[] = [];
      let readyzStatuses: number[] = [];
      // Intercom answers while the database is down: the batch has values it cannot store.
      setTimeout(() => intercom!.release(), 1_000);
      while (Date.now() - outageStarted < OUTAGE_MS) {
        const started = performance.now();
        const readyz = await fetch(`${server!.url}/readyz`);
        expect(performance.now() - started).toBeLessThan(QUICK_MS);
        readyzStatuses.push(readyz.status);
        during.push(await send("me", ME));
        during.push(await download());
        during.push(
          await send("createUser", CREATE_USER, {
            input: { email: `${unique("down")}@test.example`, name: unique("Down"), role: "USER" },
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(new Set(readyzStatuses)).toEqual(new Set([503]));
      for (const outcome of during) {
        expect(outcome, outcome.body).toMatchObject({ status: 503, codes: ["SERVICE_UNAVAILABLE"], retryAfter: "5" });
        expect(outcome.ms).toBeLessThan(QUICK_MS);
        expect(outcome.body).not.toMatch(/stack|SELECT|INSERT|ECONNREFUSED|127\.0\.0\.1/i);
      }

      await database!.start();
      // The same server process, never restarted, is ready and serves again.
      readyzStatuses = [];
      await until("/readyz to be ready again", async () => (await fetch(`${server!.url}/readyz`)).status === 200);
      await until("reads to succeed again", async () => !(await send("me", ME)).errors);
      const writesBefore = createdUsers.length + recorded.size;
      await until("writes to be acknowledged again", async () => createdUsers.length + recorded.size > writesBefore + 5);
    } finally {
      loading = false;
      await Promise.all(clients);
    }

    // Every request answered in time; every failure was the clean outage error, never an internal one.
    expect(outcomes.length).toBeGreaterThan(50);
    for (const outcome of outcomes) {
      expect(outcome.ms, `${outcome.operation} took ${Math.round(outcome.ms)} ms`).toBeLessThan(5_000);
      if (outcome.codes.length) expect(outcome, outcome.body).toMatchObject({ status: 503, codes: ["SERVICE_UNAVAILABLE"] });
    }
    expect(outcomes.some((o) => o.codes.length > 0)).toBe(true);

    // Every acknowledged write is in the database, read straight from PostgreSQL.
    const check = new pg.Client({ connectionString: database!.url });
    await check.connect();
    try {
      const { rows: stored } = await check.query<{ id: string; email: string }>(
        "SELECT id::text, email FROM users WHERE email = ANY($1)",
        [createdUsers.map((u) => u.email)],
      );
      expect(stored.sort((a, b) => a.email.localeCompare(b.email))).toEqual(
        createdUsers.map(({ id, email }) => ({ id, email })).sort((a, b) => a.email.localeCompare(b.email)),
      );
      const { rows: values } = await check.query<{ userKpiId: number; value: number }>(
        `SELECT user_kpi_id AS "userKpiId", actual_value::float8 AS value FROM kpi_measurements WHERE user_kpi_id = ANY($1) AND period_start = $2`,
        [[...recorded.keys()], lastMonth().start],
      );
      expect(new Map(values.map((row) => [row.userKpiId, row.value]))).toEqual(recorded);
    } finally {
      await check.end();
    }

    // The run that was in progress finishes (its batch taken over once its lock expired), never left RUNNING.
    const run = await until(
      `run ${runId} to finish after the outage`,
      async () => {
        const res = await send("run", RUN, { id: runId });
        const status = res.data?.calculationRun?.status;
        return status && !["QUEUED", "RUNNING"].includes(status) ? res.data!.calculationRun : undefined;
      },
      60_000,
    );
    expect(["SUCCEEDED", "PARTIAL"]).toContain(run.status);
    expect(run.succeeded + run.failed + run.skipped).toBe(API_USERS);

    // The log tells of the outage without burying itself: one warning per refused request, the job
    // queue's failing polls once in a while, no error level, no stack trace anywhere.
    const refused = outcomes.filter((o) => o.status === 503).length;
    const messages = (msg: string) => logged.filter((entry) => entry.msg === msg).length;
    expect(messages("database unavailable: answered 503")).toBeGreaterThanOrEqual(refused);
    expect(messages("job queue: database unavailable; polling on")).toBeGreaterThanOrEqual(1);
    expect(messages("job queue: database unavailable; polling on")).toBeLessThanOrEqual(2);
    expect(logged.filter((entry) => entry.level >= 50).map((entry) => entry.line)).toEqual([]);
    expect(logged.filter((entry) => entry.line.includes('"stack"')).map((entry) => entry.line)).toEqual([]);
  }, 180_000);
});
