import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JwtService } from "../../src/auth/jwt.js";
import { loadConfig } from "../../src/config/config.js";
import { createDb, createPool } from "../../src/db/client.js";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import { userKpis, users } from "../../src/db/schema/index.js";
import { lastMonth } from "../helpers/calculation.js";
import { buildDefinition, buildUser, unique } from "../helpers/factories.js";
import { TEST_JWT_SECRET } from "../helpers/server.js";
import { embeddedPort, spawnServer, type ServerProcess } from "../helpers/server-process.js";
import { until } from "../helpers/waiting.js";

/**
 * The embedded database killed while writing: the server (src/main.ts, on the embedded default with
 * DATA_DIR on disk) is killed with SIGKILL while clients record manual values and a calculation run
 * writes measurements. Started again on the same DATA_DIR (its lock file naming a dead process, and
 * the postmaster.pid PGlite left in pgdata), the data directory opens, every write the server acknowledged is
 * there, and the interrupted run is finished.
 *
 * Independent of the run's database: it runs alike in the PostgreSQL run and the embedded run.
 */

const MANUAL_ASSIGNMENTS = 300;
const RUN_USERS = 200;
const RECORD = `mutation($userKpiId: ID!, $input: RecordMeasurementInput!) { recordMeasurement(userKpiId: $userKpiId, input: $input) { id actualValue } }`;
const CALCULATE_KPIS = `mutation($input: CalculateInput!) { calculateKpis(input: $input) { id status } }`;
const RUN = `query($id: ID!) { calculationRun(id: $id) { id status succeeded failed skipped } }`;

const dataDir = mkdtempSync(join(tmpdir(), "kpi-embedded-crash-"));
const processes: ServerProcess[] = [];
const env = {
  NODE_ENV: "test",
  HOST: "127.0.0.1",
  PORT: "0",
  DATA_DIR: dataDir,
  JWT_SECRET: TEST_JWT_SECRET,
  LOG_LEVEL: "warn",
  SEED_DEMO: "false",
  KPI_TIMEZONE: "UTC",
  JOBS_PROCESS_EVERY_MS: "100",
  // Batches the killed process held are taken over this long after its last heartbeat.
  JOBS_LOCK_LIFETIME_MS: "3000",
  JOBS_BATCH_SIZE: "4",
  JOBS_CONCURRENCY: "1",
};

function start(): ServerProcess {
  const server = spawnServer(env);
  processes.push(server);
  return server;
}

afterAll(async () => {
  for (const server of processes) await server.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

async function gql(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, any> | null; errors?: { message: string }[] };
}

/** A connection to the embedded database a running server process serves (as the CLI makes one). */
function connectTo(dir: string) {
  const pool = createPool(`postgresql://postgres@127.0.0.1:${embeddedPort(dir)}/postgres?sslmode=disable`, 2);
  return { pool, db: createDb(pool) };
}

describe("the embedded database killed while writing", () => {
  it("opens again after SIGKILL with every acknowledged write, and the interrupted run finishes", async () => {
    const first = start();
    const graphqlUrl = await first.ready(90_000);

    // Data through the running server's wire-protocol port.
    const setup = connectTo(dataDir);
    let admin: string;
    let manualIds: number[];
    let queryDefinitionId: number;
    try {
      const db = setup.db;
      const adminRow = await buildUser(db, { role: "admin" });
      const config = loadConfig(env);
      admin = await new JwtService(config.auth, config.auth.jwtSecret).sign(adminRow);
      const manual = await buildDefinition(db, { dataSource: { type: "manual", allowed_range: { min: 0, max: 1_000_000 } } });
      // Hundreds of rows through the wire port: one INSERT per table, not a factory per row.
      const people = await db
        .insert(users)
        .values(
          Array.from({ length: MANUAL_ASSIGNMENTS }, () => ({ name: unique("Crash"), email: `${unique("crash")}@test.example` })),
        )
        .returning({ id: users.id });
      manualIds = (
        await db
          .insert(userKpis)
          .values(
            people.map((p) => ({
              userId: p.id,
              kpiDefinitionId: manual.id,
              targetValue: 4,
              weight: 50,
              startDate: "2020-01-01",
            })),
          )
          .returning({ id: userKpis.id })
      ).map((row) => row.id);
      const counted = await buildDefinition(db, {
        calculationType: "query",
        dataSource: { type: "database", query: "SELECT 3 WHERE :user_id > 0" },
        unit: "count",
      });
      queryDefinitionId = counted.id;
      const agents = await db
        .insert(users)
        .values(Array.from({ length: RUN_USERS }, () => ({ name: unique("Run"), email: `${unique("run")}@test.example` })))
        .returning({ id: users.id });
      await db
        .insert(userKpis)
        .values(
          agents.map((a) => ({ userId: a.id, kpiDefinitionId: counted.id, targetValue: 4, weight: 50, startDate: "2020-01-01" })),
        );
      await ensureMeasurementPartitions(db, lastMonth().start, lastMonth().start);
    } finally {
      await setup.pool.end();
    }

    // Three clients record manual values, each assignment once, so an acknowledged value is the one to find.
    const acknowledged = new Map<number, number>();
    let next = 0;
    let writing = true;
    const writer = async () => {
      while (writing && next < manualIds.length) {
        const userKpiId = manualIds[next++]!;
        const value = Math.floor(Math.random() * 1_000_000);
        try {
          const res = await gql(graphqlUrl, admin, RECORD, {
            userKpiId: String(userKpiId),
            input: { actualValue: value, periodStart: lastMonth().start, periodEnd: lastMonth().end },
          });
          if (!res.errors && res.data?.recordMeasurement) acknowledged.set(userKpiId, value);
        } catch {
          // The server was killed under this request: not acknowledged.
        }
      }
    };
    const writers = [writer(), writer(), writer()];

    const queued = await gql(graphqlUrl, admin, CALCULATE_KPIS, { input: { kpiDefinitionId: String(queryDefinitionId) } });
    expect(queued.errors).toBeUndefined();
    const runId = queued.data!.calculateKpis.id as string;
    // Killed mid-run, with writes in flight: some batches done, the run still RUNNING.
    const atKill = await until("the run to be part way through", async () => {
      const run = (await gql(graphqlUrl, admin, RUN, { id: runId })).data?.calculationRun;
      return run?.status === "RUNNING" && run.succeeded > 0 && acknowledged.size >= 20 ? run : undefined;
    });
    await first.kill("SIGKILL");
    writing = false;
    await Promise.all(writers);
    expect(atKill.succeeded).toBeLessThan(RUN_USERS);
    expect(acknowledged.size).toBeGreaterThanOrEqual(20);
    // The killed process could not remove its lock file: the next start must see that its owner is gone.
    expect(existsSync(join(dataDir, "embedded-postgres.json"))).toBe(true);

    const second = start();
    const againUrl = await second.ready(90_000);
    const check = connectTo(dataDir);
    try {
      // What makes an acknowledged commit survive more than a killed process (the OS going down):
      // its WAL written with O_DSYNC (src/db/embedded.ts), where PGlite's defaults leave it in the OS's cache.
      const setting = async (name: string) => (await check.pool.query(`SHOW ${name}`)).rows[0][name];
      expect({ fsync: await setting("fsync"), walSyncMethod: await setting("wal_sync_method") }).toEqual({
        fsync: "on",
        walSyncMethod: "open_datasync",
      });
      const { rows } = await check.pool.query<{ userKpiId: number; value: number }>(
        `SELECT user_kpi_id AS "userKpiId", actual_value::float8 AS value FROM kpi_measurements WHERE user_kpi_id = ANY($1) AND period_start = $2`,
        [[...acknowledged.keys()], lastMonth().start],
      );
      expect(new Map(rows.map((row) => [row.userKpiId, row.value]))).toEqual(acknowledged);

      const run = await until(
        `run ${runId} to finish after the restart`,
        async () => {
          const found = (await gql(againUrl, admin, RUN, { id: runId })).data?.calculationRun;
          return found && !["QUEUED", "RUNNING"].includes(found.status) ? found : undefined;
        },
        60_000,
      );
      expect(run).toMatchObject({ status: "SUCCEEDED", succeeded: RUN_USERS, failed: 0 });
      const { rows: measured } = await check.pool.query<{ n: number; values: number[] }>(
        `SELECT count(*)::int AS n, array_agg(DISTINCT m.actual_value::float8) AS values
         FROM kpi_measurements m JOIN user_kpis uk ON uk.id = m.user_kpi_id
         WHERE uk.kpi_definition_id = $1 AND m.period_start = $2`,
        [queryDefinitionId, lastMonth().start],
      );
      expect(measured).toEqual([{ n: RUN_USERS, values: [3] }]);
    } finally {
      await check.pool.end();
    }
    await second.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  }, 240_000);
});
