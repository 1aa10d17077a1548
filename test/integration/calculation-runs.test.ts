import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import type { UserRow } from "../../src/db/schema/index.js";
import { CREATE, definitionInput, lastMonth } from "../helpers/calculation.js";
import { buildAssignment, buildExternalId, buildUser } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { finishedRun } from "../helpers/waiting.js";

/**
 * Calculation runs end to end: calculateKpis queues a run, the server's worker (Agenda on the
 * PostgreSQL backend) plans and calculates it in batches, and calculationRun shows the outcome.
 * On a database of this file's own, so that no other test file's server takes its jobs.
 */

let database: PrivateDatabase;
let server: TestServer;
let world: RoleWorld;
let admin: string;
let intercom: Server;
let users: UserRow[];
let casesDefinition: string;
let apiDefinition: string;

const RUN_FIELDS =
  "id status trigger periodStart periodEnd succeeded failed skipped undefinedCount batches errors startedAt finishedAt";
const CALCULATE_KPIS = `mutation($input: CalculateInput!) { calculateKpis(input: $input) { ${RUN_FIELDS} } }`;
const RUN = `query($id: ID!) { calculationRun(id: $id) { ${RUN_FIELDS} } }`;

/** An Intercom search API that fails (HTTP 500) for admin "broken", answers 3 conversations otherwise. */
function startIntercom(): Promise<Server> {
  const fake = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (body.includes('"broken"')) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      const conversations = [1, 2, 3].map((id) => ({ id: String(id), state: "closed", statistics: { time_to_admin_reply: 60 } }));
      res.end(JSON.stringify({ type: "conversation.list", conversations, total_count: 3, pages: { total_pages: 1 } }));
    });
  });
  return new Promise((resolve) => fake.listen(0, "127.0.0.1", () => resolve(fake)));
}

beforeAll(async () => {
  database = await createPrivateDatabase();
  intercom = await startIntercom();
  server = await startTestServer({
    DATABASE_URL: database.url,
    JOBS_ENABLED: "true",
    JOBS_PROCESS_EVERY_MS: "100",
    JOBS_BATCH_SIZE: "4",
    KPI_TIMEZONE: "UTC",
    INTERCOM_BASE_URL: `http://127.0.0.1:${(intercom.address() as AddressInfo).port}`,
    INTERCOM_ACCESS_TOKEN: "test-token",
    ADAPTER_TIMEOUT_MS: "2000",
  });
  world = await createRoleWorld(server);
  admin = world.tokens.admin!;
  const pool = server.database.pool;
  await pool.query(`CREATE TABLE kpi_source.run_cases (user_id int NOT NULL, closed_at timestamptz NOT NULL)`);
  await pool.query(`GRANT SELECT ON kpi_source.run_cases TO kpi_source_reader`);
  users = [];
  for (let i = 0; i < 5; i++) users.push(await buildUser(server.database.db)); // ids in order, as the run orders them
  const month = lastMonth();
  // User i closed i cases last month (and one the month before, which must not count).
  for (const [i, user] of users.entries()) {
    await pool.query(
      `INSERT INTO kpi_source.run_cases SELECT $1, $2::timestamptz + g * interval '1 hour' FROM generate_series(1, $3::int) g`,
      [user.id, `${month.start}T00:00:00Z`, i + 1],
    );
    await pool.query(`INSERT INTO kpi_source.run_cases VALUES ($1, $2::timestamptz - interval '1 day')`, [
      user.id,
      `${month.start}T00:00:00Z`,
    ]);
  }
  const create = async (type: string, source: unknown) => {
    const res = await server.gql(CREATE, { input: definitionInput(type, source) }, admin);
    expect(res.errors).toBeUndefined();
    return res.data!.createKpiDefinition.id as string;
  };
  casesDefinition = await create("QUERY", {
    type: "database",
    query: "SELECT count(*) FROM run_cases WHERE user_id = :user_id AND closed_at >= :start_date AND closed_at < :end_date",
  });
  apiDefinition = await create("API", { type: "intercom", endpoint: "conversations", metric: "conversation_count" });
  const db = server.database.db;
  for (const user of users) {
    for (const id of [casesDefinition, apiDefinition]) {
      await buildAssignment(db, { user, definition: { id: Number(id) }, targetValue: 4 });
    }
  }
  // Users 0-2 are mapped to Intercom (user 2 to the failing admin), users 3-4 are not: "skipped".
  for (const [user, externalId] of [
    [users[0]!, "a0"],
    [users[1]!, "a1"],
    [users[2]!, "broken"],
  ] as const) {
    await buildExternalId(db, { user, provider: "intercom", externalId });
  }
  await ensureMeasurementPartitions(server.database.db, month.start, month.start);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
  intercom?.close();
});

const waitForRun = (id: string, token = admin) => finishedRun(server, RUN, id, token);

const measurementsOf = async (definitionId: string) =>
  (
    await server.database.pool.query(
      `SELECT uk.user_id AS "userId", m.actual_value::float8 AS value, m.period_start::text AS "periodStart"
       FROM kpi_measurements m JOIN user_kpis uk ON uk.id = m.user_kpi_id WHERE uk.kpi_definition_id = $1 ORDER BY uk.user_id`,
      [definitionId],
    )
  ).rows;

describe("calculateKpis", () => {
  it("queues a run that calculates every assignment of a definition in batches", async () => {
    const queued = await server.gql(CALCULATE_KPIS, { input: { kpiDefinitionId: casesDefinition } }, admin);
    expect(queued.errors).toBeUndefined();
    expect(queued.data!.calculateKpis).toMatchObject({ status: "QUEUED", trigger: "manual", succeeded: 0 });
    const run = await waitForRun(queued.data!.calculateKpis.id);
    expect(run).toMatchObject({
      status: "SUCCEEDED",
      succeeded: 5,
      failed: 0,
      skipped: 0,
      periodStart: lastMonth().start,
      periodEnd: lastMonth().end,
      batches: 2, // 5 users, batches of about 4 assignments, users never split
    });
    expect(run.finishedAt).not.toBeNull();
    const values = await measurementsOf(casesDefinition);
    expect(values).toEqual(users.map((user, i) => ({ userId: user.id, value: i + 1, periodStart: lastMonth().start })));
  });

  it("changes nothing when the same run is repeated (every write is an upsert)", async () => {
    const before = await measurementsOf(casesDefinition);
    const queued = await server.gql(CALCULATE_KPIS, { input: { kpiDefinitionId: casesDefinition } }, admin);
    const run = await waitForRun(queued.data!.calculateKpis.id);
    expect(run).toMatchObject({ status: "SUCCEEDED", succeeded: 5 });
    expect(await measurementsOf(casesDefinition)).toEqual(before);
  });

  it("ends PARTIAL when an adapter fails for some users, listing each failure by user and KPI", async () => {
    const queued = await server.gql(CALCULATE_KPIS, { input: { kpiDefinitionId: apiDefinition } }, admin);
    const run = await waitForRun(queued.data!.calculateKpis.id);
    expect(run).toMatchObject({ status: "PARTIAL", succeeded: 2, failed: 1, skipped: 2 });
    const failures = run.errors.filter((issue: { outcome: string }) => issue.outcome === "failed");
    expect(failures).toEqual([
      expect.objectContaining({
        userId: users[2]!.id,
        kpiDefinitionId: Number(apiDefinition),
        message: expect.stringMatching(/HTTP 500/),
      }),
    ]);
    const skipped = run.errors.filter((issue: { outcome: string }) => issue.outcome === "skipped");
    expect(skipped.map((issue: { userId: number }) => issue.userId).sort()).toEqual([users[3]!.id, users[4]!.id].sort());
    expect((await measurementsOf(apiDefinition)).map((row) => row.value)).toEqual([3, 3]);
  });

  it("counts the runs' calculations and durations in /metrics", async () => {
    const body = await (await fetch(`${server.url}/metrics`)).text();
    expect(body).toMatch(/kpi_calculations_total\{[^}]*type="query"[^}]*outcome="succeeded"[^}]*\} 10\b/);
    expect(body).toMatch(/kpi_calculations_total\{[^}]*type="api"[^}]*adapter="intercom"[^}]*outcome="failed"[^}]*\} 1\b/);
    expect(body).toMatch(/kpi_calculation_run_duration_seconds_count\{[^}]*trigger="manual"[^}]*status="partial"[^}]*\} 1\b/);
    expect(body).toMatch(/kpi_job_queue_depth\{state="queued"\} \d+/);
  });

  it("writes today's snapshots after a run", async () => {
    const { rows } = await server.database.pool.query(
      'SELECT user_id AS "userId", overall_score::float8 AS score, kpi_scores AS scores FROM kpi_snapshots WHERE user_id = $1 AND snapshot_date = CURRENT_DATE',
      [users[3]!.id],
    );
    // User 3 closed 4 cases of a target of 4 (100 %); their Intercom KPI has no measurement.
    expect(rows).toEqual([expect.objectContaining({ userId: users[3]!.id, score: 100 })]);
    expect(rows[0].scores[casesDefinition]).toMatchObject({ achievement: 100, actualValue: 4 });
  });

  it("recalculates a past period (backfill) when periodContaining is in the past", async () => {
    const previous = new Date(Date.parse(`${lastMonth().start}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    await ensureMeasurementPartitions(server.database.db, previous, previous);
    const queued = await server.gql(
      CALCULATE_KPIS,
      { input: { kpiDefinitionId: casesDefinition, periodContaining: previous } },
      admin,
    );
    const run = await waitForRun(queued.data!.calculateKpis.id);
    expect(run).toMatchObject({ status: "SUCCEEDED", succeeded: 5, periodEnd: lastMonth().start });
    const values = (await measurementsOf(casesDefinition)).filter((row) => row.periodStart === run.periodStart);
    expect(values.map((row) => row.value)).toEqual([1, 1, 1, 1, 1]);
  });

  it("lets a manager calculate their team only, and show them only their own runs", async () => {
    const own = await server.gql(CALCULATE_KPIS, { input: { teamId: String(world.team.id) } }, world.tokens.teamManager);
    expect(own.errors).toBeUndefined();
    const run = await waitForRun(own.data!.calculateKpis.id, world.tokens.teamManager!);
    expect(run.status).toBe("SUCCEEDED");
    const foreign = await server.gql(CALCULATE_KPIS, { input: { teamId: String(world.otherTeam.id) } }, world.tokens.teamManager);
    expect(foreign.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const theirs = await server.gql(RUN, { id: own.data!.calculateKpis.id }, world.tokens.otherManager);
    expect(theirs.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const list = await server.gql(`{ calculationRuns { id trigger } }`, {}, world.tokens.teamManager);
    expect(list.data!.calculationRuns.map((r: { id: string }) => r.id)).toEqual([own.data!.calculateKpis.id]);
    for (const token of [world.tokens.user, world.tokens.anonymous]) {
      const denied = await server.gql(CALCULATE_KPIS, { input: {} }, token);
      expect(denied.errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
    }
  });

  it("never calculates a batch twice when two workers share the database", async () => {
    const second = await startTestServer({
      DATABASE_URL: database.url,
      JOBS_ENABLED: "true",
      JOBS_PROCESS_EVERY_MS: "50",
      JOBS_BATCH_SIZE: "1",
      KPI_TIMEZONE: "UTC",
    });
    try {
      const queued = await second.gql(CALCULATE_KPIS, { input: { kpiDefinitionId: casesDefinition } }, admin);
      const run = await waitForRun(queued.data!.calculateKpis.id);
      expect(run).toMatchObject({ status: "SUCCEEDED", succeeded: 5 });
      expect(run.batches).toBeGreaterThanOrEqual(2); // 1 or 4 assignments a batch, as the planning worker's setting says
      const { rows } = await server.database.pool.query(
        `SELECT batch_no AS "batchNo", attempts, status FROM calculation_batches WHERE run_id = $1 ORDER BY batch_no`,
        [run.id],
      );
      const batchNumbers = Array.from({ length: run.batches }, (_, i) => i + 1);
      expect(rows).toEqual(batchNumbers.map((batchNo) => ({ batchNo, attempts: 1, status: "done" })));
    } finally {
      await second.stop();
    }
  });

  // The embedded database has one session for every connection, so a NOTIFY never reaches another one
  // (production turns notifications off there); workers then find runs by polling only.
  it.skipIf(inject("databaseKind") === "embedded")(
    "notifies the workers at once when a process that does not work on jobs queues a run",
    async () => {
      // An API replica (JOBS_ENABLED=false): before, its job reached workers only through their polling.
      const api = await startTestServer({ DATABASE_URL: database.url, KPI_TIMEZONE: "UTC" });
      const listener = new pg.Client({ connectionString: database.url });
      await listener.connect();
      try {
        const notified = new Promise<string>((resolve) =>
          listener.on("notification", (message) => {
            const payload = JSON.parse(message.payload ?? "{}");
            if (message.channel === "agenda:jobs" && payload.jobName === "kpi:plan-run") resolve(payload.jobName);
          }),
        );
        await listener.query('LISTEN "agenda:jobs"');
        const queued = await api.gql(CALCULATE_KPIS, { input: { kpiDefinitionId: casesDefinition } }, admin);
        expect(queued.errors).toBeUndefined();
        const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("no notification"), 5_000));
        expect(await Promise.race([notified, timeout])).toBe("kpi:plan-run");
        expect(await waitForRun(queued.data!.calculateKpis.id)).toMatchObject({ status: "SUCCEEDED", succeeded: 5 });
      } finally {
        await listener.end();
        await api.stop(); // closes the channel it opened: a LISTEN connection left would keep its pool from ending
      }
    },
  );

  it("refuses bad input with BAD_USER_INPUT or NOT_FOUND and queues nothing", async () => {
    const count = async () => (await server.database.pool.query("SELECT count(*)::int AS n FROM calculation_runs")).rows[0].n;
    const before = await count();
    const cases: [Record<string, unknown>, string][] = [
      [{ periodContaining: "2999-01-01" }, "BAD_USER_INPUT"],
      [{ periodContaining: "2026-02-30" }, "BAD_USER_INPUT"],
      [{ userKpiIds: [] }, "BAD_USER_INPUT"],
      [{ userKpiIds: ["abc"] }, "BAD_USER_INPUT"],
      [{ kpiDefinitionId: "999999" }, "NOT_FOUND"],
      [{ teamId: "999999" }, "NOT_FOUND"],
      [{ userKpiIds: ["999999"] }, "NOT_FOUND"],
    ];
    for (const [input, code] of cases) {
      const res = await server.gql(CALCULATE_KPIS, { input }, admin);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe(code);
    }
    expect(await count()).toBe(before);
  });
});
