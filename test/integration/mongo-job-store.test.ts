import { randomBytes } from "node:crypto";
import { MongoClient, ObjectId, type Collection } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import type { UserRow } from "../../src/db/schema/index.js";
import { JOB } from "../../src/jobs/job-names.js";
import { MONGO_JOBS_COLLECTION } from "../../src/jobs/mongo-job-store.js";
import { CREATE, definitionInput, lastMonth } from "../helpers/calculation.js";
import { buildAssignment, buildUser } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { createRoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { finishedRun } from "../helpers/waiting.js";

/**
 * JOBS_MONGODB_URL: Agenda's jobs in MongoDB, everything of ours (runs, batches, measurements) in
 * PostgreSQL. Needs a MongoDB server: MONGODB_URL (e.g. mongodb://127.0.0.1:27017); the test works
 * in a database of its own on it, dropped afterwards. Without one the file is skipped, saying so.
 */

const MONGODB_URL = process.env.MONGODB_URL;
if (!MONGODB_URL) {
  console.warn(
    "mongo-job-store.test.ts skipped: MONGODB_URL is not set. These tests need a MongoDB server to keep Agenda's jobs in " +
      "(e.g. MONGODB_URL=mongodb://127.0.0.1:27017); none is started by the test run.",
  );
}

/**
 * The URL with its database path replaced by `name`. Credentials keep authenticating where they
 * did: against the URL's own database (or admin), unless authSource says otherwise.
 */
function withDatabase(url: string, name: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(url);
  if (!match) throw new Error("MONGODB_URL must be a mongodb:// or mongodb+srv:// URL");
  const [, base, database, query] = match;
  const params = new URLSearchParams(query ?? "");
  if (base!.includes("@") && !params.has("authSource")) params.set("authSource", database || "admin");
  const search = params.toString();
  return `${base}/${name}${search ? `?${search}` : ""}`;
}

const RUN_FIELDS = "id status succeeded failed skipped batches";
const CALCULATE_KPIS = `mutation($input: CalculateInput!) { calculateKpis(input: $input) { ${RUN_FIELDS} } }`;
const RUN = `query($id: ID!) { calculationRun(id: $id) { ${RUN_FIELDS} } }`;

describe.skipIf(!MONGODB_URL)("calculation runs with JOBS_MONGODB_URL (Agenda's jobs in MongoDB)", () => {
  let database: PrivateDatabase;
  let mongo: MongoClient;
  let jobs: Collection;
  let server: TestServer;
  let admin: string;
  let users: UserRow[];
  let definitionId: string;

  beforeAll(async () => {
    database = await createPrivateDatabase();
    const mongoUrl = withDatabase(MONGODB_URL!, `kpi_test_jobs_${Date.now()}_${randomBytes(3).toString("hex")}`);
    mongo = new MongoClient(mongoUrl);
    jobs = mongo.db().collection(MONGO_JOBS_COLLECTION);
    server = await startTestServer({
      DATABASE_URL: database.url,
      JOBS_ENABLED: "true",
      JOBS_MONGODB_URL: mongoUrl,
      JOBS_PROCESS_EVERY_MS: "100",
      JOBS_BATCH_SIZE: "2",
      KPI_TIMEZONE: "UTC",
    });
    admin = (await createRoleWorld(server)).tokens.admin!;
    const pool = server.database.pool;
    await pool.query(`CREATE TABLE kpi_source.mongo_cases (user_id int NOT NULL, closed_at timestamptz NOT NULL)`);
    await pool.query(`GRANT SELECT ON kpi_source.mongo_cases TO kpi_source_reader`);
    users = [];
    for (let i = 0; i < 5; i++) users.push(await buildUser(server.database.db));
    // User i closed i + 1 cases last month.
    for (const [i, user] of users.entries()) {
      await pool.query(
        `INSERT INTO kpi_source.mongo_cases SELECT $1, $2::timestamptz + g * interval '1 hour' FROM generate_series(1, $3::int) g`,
        [user.id, `${lastMonth().start}T00:00:00Z`, i + 1],
      );
    }
    const created = await server.gql(
      CREATE,
      {
        input: definitionInput("QUERY", {
          type: "database",
          query:
            "SELECT count(*) FROM mongo_cases WHERE user_id = :user_id AND closed_at >= :start_date AND closed_at < :end_date",
        }),
      },
      admin,
    );
    expect(created.errors).toBeUndefined();
    definitionId = created.data!.createKpiDefinition.id;
    for (const user of users) {
      await buildAssignment(server.database.db, { user, definition: { id: Number(definitionId) }, targetValue: 4 });
    }
    await ensureMeasurementPartitions(server.database.db, lastMonth().start, lastMonth().start);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await mongo?.db().dropDatabase();
    await mongo?.close();
    await database?.drop();
  });

  const waitForRun = (id: string) => finishedRun(server, RUN, id, admin);

  it("calculates a run end to end, its jobs in MongoDB and its batches and measurements in PostgreSQL", async () => {
    const queued = await server.gql(CALCULATE_KPIS, { input: { kpiDefinitionId: definitionId } }, admin);
    expect(queued.errors).toBeUndefined();
    const run = await waitForRun(queued.data!.calculateKpis.id);
    expect(run).toMatchObject({ status: "SUCCEEDED", succeeded: 5, failed: 0, batches: 3 });

    const pool = server.database.pool;
    const { rows: measurements } = await pool.query(
      `SELECT uk.user_id AS "userId", m.actual_value::float8 AS value FROM kpi_measurements m JOIN user_kpis uk ON uk.id = m.user_kpi_id
       WHERE uk.kpi_definition_id = $1 AND m.period_start = $2 ORDER BY uk.user_id`,
      [definitionId, lastMonth().start],
    );
    expect(measurements).toEqual(users.map((user, i) => ({ userId: user.id, value: i + 1 })));
    const { rows: batches } = await pool.query(
      `SELECT batch_no AS "batchNo", status, attempts FROM calculation_batches WHERE run_id = $1 ORDER BY batch_no`,
      [run.id],
    );
    expect(batches).toEqual([1, 2, 3].map((batchNo) => ({ batchNo, status: "done", attempts: 1 })));

    // Agenda's jobs went to MongoDB, none to PostgreSQL's agenda_jobs.
    expect((await pool.query("SELECT count(*)::int AS n FROM agenda_jobs")).rows[0].n).toBe(0);
    const runId = Number(run.id);
    expect(await jobs.countDocuments({ name: JOB.plan, "data.runId": runId, lastFinishedAt: { $ne: null } })).toBe(1);
    const batchJobs = await jobs.find({ name: JOB.batch, "data.runId": runId }).toArray();
    expect(batchJobs.map((job) => job.data.batchNo).sort()).toEqual([1, 2, 3]);
    expect(batchJobs.every((job) => job.lockedAt == null && job.lastFinishedAt instanceof Date)).toBe(true);
  });

  it("counts the queue's depth in the jobs collection", async () => {
    const calculationJobs = server.running.services.jobs;
    // Once the run's snapshot job is done, only the recurring schedules are left, none of them due.
    const settled = async () => {
      for (let i = 0; i < 100; i++) {
        const depth = await calculationJobs.queueDepth();
        if (depth.queued === 0 && depth.running === 0) return depth;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return calculationJobs.queueDepth();
    };
    expect(await settled()).toEqual({ queued: 0, running: 0 });
    // A job of a name no worker defines stays due and untaken; locking it by hand makes it "running".
    const job = await calculationJobs.agenda.now("kpi:test-nobody-takes-this");
    expect(await calculationJobs.queueDepth()).toEqual({ queued: 1, running: 0 });
    await jobs.updateOne({ _id: new ObjectId(String(job.attrs._id)) }, { $set: { lockedAt: new Date() } });
    expect(await calculationJobs.queueDepth()).toEqual({ queued: 0, running: 1 });
    await jobs.deleteOne({ _id: new ObjectId(String(job.attrs._id)) });
  });
});
