import "reflect-metadata";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createDb, createPool, type Db } from "../../src/db/client.js";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import { createRun, findRun } from "../../src/modules/run/run.store.js";
import { createLogger } from "../../src/lib/logger.js";
import { todayIn } from "../../src/scoring/periods.js";
import { createServices, type Services } from "../../src/services.js";
import { lastMonth } from "../helpers/calculation.js";
import { buildAssignment, buildDefinition, buildExternalId, buildUser } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { TEST_JWT_SECRET } from "../helpers/server.js";
import { until } from "../helpers/waiting.js";

/**
 * Crash takeover: a worker process killed with SIGKILL mid-run (no shutdown, no hand-back) leaves
 * its batches claimed and its jobs locked; another worker takes them over once the lock lifetime
 * has passed, and the run ends with every assignment measured once. And the gentle case: a worker
 * whose shutdown times out hands its batches back, so another finishes them at once.
 *
 * On a database of this file's own. On the embedded database the child process reaches it through
 * the wire-protocol server this test process runs (src/db/embedded.ts), as the CLI does.
 */

const LOCK_LIFETIME_MS = 3_000;
const USERS = 8;
const BATCH_SIZE = 2; // one KPI per user: 4 batches of 2 users

let database: PrivateDatabase;
let pool: ReturnType<typeof createPool>;
let db: Db;
let intercom: HoldingIntercom;
let userKpiIds: number[];
let adminIds: string[];
const cleanups: (() => Promise<unknown> | unknown)[] = [];

/**
 * A fake Intercom whose answers the test controls: after holdAfter(n) it answers n requests, then
 * holds every further one (a batch stuck mid-calculation) until release(). Each answer is 3
 * conversations. Requests are counted per admin id (our users' Intercom ids).
 */
class HoldingIntercom {
  private answerFirst = Infinity;
  readonly held: ServerResponse[] = [];
  readonly requestsByAdmin = new Map<string, number>();
  private answered = 0;
  private constructor(readonly server: Server) {}

  static async start(): Promise<HoldingIntercom> {
    let fake: HoldingIntercom;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => fake.receive(body, res));
    });
    fake = new HoldingIntercom(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers the next `first` requests, then holds every further one. */
  holdAfter(first: number): void {
    this.answered = 0;
    this.answerFirst = first;
    this.held.length = 0;
  }

  /** Answers every request from now on (held ones are left to their dead or stopped worker). */
  release(): void {
    this.answerFirst = Infinity;
  }

  private receive(body: string, res: ServerResponse): void {
    const admin = adminIds.find((id) => body.includes(`"${id}"`)) ?? "?";
    this.requestsByAdmin.set(admin, (this.requestsByAdmin.get(admin) ?? 0) + 1);
    if (this.answered >= this.answerFirst) {
      this.held.push(res);
      return;
    }
    this.answered++;
    const conversations = [1, 2, 3].map((id) => ({ id: String(id), state: "closed", statistics: { time_to_admin_reply: 60 } }));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "conversation.list", conversations, total_count: 3, pages: { total_pages: 1 } }));
  }

  close(): void {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** The environment of a worker of this file: short lock lifetime, fast polling, small sequential batches. */
function workerEnv(): Record<string, string> {
  return {
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: "4",
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    KPI_TIMEZONE: "UTC",
    JOBS_LOCK_LIFETIME_MS: String(LOCK_LIFETIME_MS),
    JOBS_PROCESS_EVERY_MS: "100",
    JOBS_BATCH_SIZE: String(BATCH_SIZE),
    // One calculation at a time per batch, so a held request stops its batch where it is.
    JOBS_CONCURRENCY: "1",
    INTERCOM_BASE_URL: intercom.url,
    INTERCOM_ACCESS_TOKEN: "test-token",
    // A held request must stay held, not time out and be retried.
    ADAPTER_TIMEOUT_MS: "60000",
  };
}

/** `npm run worker` as a child process, with only this file's settings (no .env, no inherited DATABASE_URL). */
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...workerEnv() },
    stdio: ["ignore", "inherit", "inherit"],
  });
  cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"));
  return child;
}

/** A worker in this process, built as src/worker.ts builds it; started by the caller. */
function inProcessWorker(env: Record<string, string> = {}): Services {
  const config = loadConfig({ ...workerEnv(), ...env });
  const services = createServices(db, config, { log: createLogger(config.logLevel), embedded: false });
  cleanups.push(async () => {
    await services.jobs.stop(1_000);
    await services.close();
  });
  return services;
}

async function queueRun(services: Services, selection: { userKpiIds: number[] }): Promise<number> {
  const run = await createRun(db, {
    trigger: "manual",
    selection,
    periodContaining: null,
    today: todayIn("UTC"),
    requestedBy: null,
  });
  await services.jobs.enqueuePlan(run.id);
  return run.id;
}

async function batchesOf(runId: number) {
  const { rows } = await pool.query<{ batchNo: number; status: string; attempts: number; userKpiIds: number[] }>(
    `SELECT batch_no AS "batchNo", status, attempts, user_kpi_ids AS "userKpiIds" FROM calculation_batches WHERE run_id = $1 ORDER BY batch_no`,
    [runId],
  );
  return rows;
}

const finishedRun = (runId: number) =>
  until(`run ${runId} to finish`, async () => {
    const run = await findRun(db, runId);
    return run && !["queued", "running"].includes(run.status) ? run : undefined;
  });

/** Measurements of last month per assignment, counted. */
async function measurementCounts(): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ userKpiId: number; n: number }>(
    `SELECT user_kpi_id AS "userKpiId", count(*)::int AS n FROM kpi_measurements WHERE period_start = $1 GROUP BY user_kpi_id`,
    [lastMonth().start],
  );
  return new Map(rows.map((row) => [row.userKpiId, row.n]));
}

beforeAll(async () => {
  database = await createPrivateDatabase();
  pool = createPool(database.url, 4);
  db = createDb(pool);
  intercom = await HoldingIntercom.start();
  const definition = await buildDefinition(db, {
    calculationType: "api",
    dataSource: { type: "intercom", endpoint: "conversations", metric: "conversation_count" },
    unit: "count",
  });
  const users = [];
  for (let i = 0; i < USERS; i++) users.push(await buildUser(db)); // ids in order, as runs order them
  adminIds = users.map((_, i) => `admin-${i}`);
  userKpiIds = [];
  for (const [i, user] of users.entries()) {
    await buildExternalId(db, { user, provider: "intercom", externalId: adminIds[i]! });
    userKpiIds.push((await buildAssignment(db, { user, definition, targetValue: 4 })).id);
  }
  await ensureMeasurementPartitions(db, lastMonth().start, lastMonth().start);
}, 60_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  intercom?.close();
  await pool?.end();
  await database?.drop();
});

describe("a worker killed mid-run", () => {
  it("is finished by another worker with nothing lost or duplicated", async () => {
    // Intercom answers the child three requests: one batch of two users done (Agenda runs two
    // batches at once, so the third answer completes one of them), then both slots stuck.
    intercom.holdAfter(3);
    intercom.requestsByAdmin.clear();
    const taker = inProcessWorker();
    const child = spawnWorker();
    const runId = await queueRun(taker, { userKpiIds });

    // Every running batch stuck on a held request (each batch asks one at a time): nothing moves
    // until the lock lifetime has passed.
    const atKill = await until(
      "the child to finish a batch and be stuck in two",
      async () => {
        const batches = await batchesOf(runId);
        const running = batches.filter((b) => b.status === "running");
        const done = batches.filter((b) => b.status === "done");
        return running.length >= 2 && done.length >= 1 && intercom.held.length >= running.length ? batches : undefined;
      },
      40_000,
    ); // the child starts first (tsx compiles the sources)
    expect(atKill).toHaveLength(USERS / BATCH_SIZE);
    const killed = new Set(atKill.filter((b) => b.status === "running").map((b) => b.batchNo));
    child.kill("SIGKILL");
    await once(child, "exit");
    intercom.release();

    await taker.jobs.start();
    const run = await finishedRun(runId);
    expect(run).toMatchObject({ status: "succeeded", succeeded: USERS, failed: 0, skipped: 0, batches: USERS / BATCH_SIZE });

    const batches = await batchesOf(runId);
    expect(batches.map(({ batchNo, status, attempts }) => ({ batchNo, status, attempts }))).toEqual(
      batches.map(({ batchNo }) => ({ batchNo, status: "done", attempts: killed.has(batchNo) ? 2 : 1 })),
    );
    const counts = await measurementCounts();
    expect(userKpiIds.map((id) => counts.get(id) ?? 0)).toEqual(userKpiIds.map(() => 1));
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(userKpiIds.length);
    const { rows } = await pool.query(
      `SELECT DISTINCT actual_value::float8 AS value FROM kpi_measurements WHERE period_start = $1`,
      [lastMonth().start],
    );
    expect(rows).toEqual([{ value: 3 }]);

    // Nothing calculated twice but what the killed worker had in hand: the users of the batches it
    // had not claimed, or had finished, were asked for exactly once.
    const notKilled = batches.filter((b) => !killed.has(b.batchNo)).flatMap((b) => b.userKpiIds);
    expect(notKilled.length).toBeGreaterThan(0);
    for (const id of notKilled) expect(intercom.requestsByAdmin.get(adminIds[userKpiIds.indexOf(id)]!)).toBe(1);
  }, 60_000); // about 5-10 s; the ceiling allows for a slow start of the child process on a busy machine
});

describe("a worker whose shutdown times out", () => {
  it("hands its batches back, and another worker finishes them without waiting for the lock lifetime", async () => {
    // A lock lifetime far longer than the test: only a real hand-back lets the second worker in.
    const longLock = { JOBS_LOCK_LIFETIME_MS: "60000" };
    intercom.holdAfter(0);
    const stopping = inProcessWorker(longLock);
    const runId = await queueRun(stopping, { userKpiIds: userKpiIds.slice(0, 4) });
    await stopping.jobs.start();
    await until("both batches to be held", async () => {
      const running = (await batchesOf(runId)).filter((b) => b.status === "running");
      return intercom.held.length === 2 && running.length === 2;
    });

    await stopping.jobs.stop(200);
    expect((await batchesOf(runId)).map((b) => b.status)).toEqual(["queued", "queued"]);
    intercom.release();
    const taker = inProcessWorker(longLock);
    await taker.jobs.start();
    const run = await finishedRun(runId);
    expect(run).toMatchObject({ status: "succeeded", succeeded: 4 });
    expect((await batchesOf(runId)).map((b) => ({ status: b.status, attempts: b.attempts }))).toEqual([
      { status: "done", attempts: 2 },
      { status: "done", attempts: 2 },
    ]);
  });
});
