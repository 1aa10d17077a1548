import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import type { RunStatusValue, UserRow } from "../../src/db/schema/index.js";
import { sign } from "../../src/lib/signature.js";
import { periodContaining, todayIn } from "../../src/scoring/periods.js";
import { CREATE, definitionInput, lastMonth, RECORD } from "../helpers/calculation.js";
import { buildAssignment, buildCalculationRun, buildExternalId, buildUser } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { finishedRun } from "../helpers/waiting.js";

/**
 * Recalculations nobody schedules: a recorded value recalculates the formula KPIs over it, a signed
 * POST /hooks/recalculate recalculates the users it names, and calculationHealth sums it all up.
 * On a database of this file's own, with the server's worker taking the jobs.
 */

const SECRET = "webhook-secret-for-the-tests-0123456789";

let database: PrivateDatabase;
let server: TestServer;
let world: RoleWorld;
let admin: string;
let alice: UserRow;
let bob: UserRow;
let manual: string;
let doubled: string;
let plusOne: string;
let ticketsDefinition: string;

const RUN = `query($id: ID!) { calculationRun(id: $id) { id status trigger succeeded failed periodStart } }`;
const HEALTH = `{ calculationHealth {
  schedules { aggregationPeriod lastRun { id status trigger } }
  lastDay { runs failedRuns partialRuns succeeded failed skipped undefinedCount failureRate }
  unfinishedRuns oldestUnfinishedRunAt jobQueue { queued running }
} }`;

const today = () => todayIn("UTC");
const thisMonth = () => periodContaining("monthly", today());

beforeAll(async () => {
  database = await createPrivateDatabase();
  server = await startTestServer({
    DATABASE_URL: database.url,
    JOBS_ENABLED: "true",
    JOBS_PROCESS_EVERY_MS: "100",
    KPI_TIMEZONE: "UTC",
    WEBHOOK_SECRET: SECRET,
  });
  world = await createRoleWorld(server);
  admin = world.tokens.admin!;
  alice = await buildUser(server.database.db);
  bob = await buildUser(server.database.db);
  const create = async (type: string, source: unknown) => {
    const res = await server.gql(CREATE, { input: definitionInput(type, source) }, admin);
    expect(res.errors).toBeUndefined();
    return res.data!.createKpiDefinition.id as string;
  };
  const kpiInput = (variable: string, id: string) => ({ variable, source: { type: "kpi", kpiDefinitionId: Number(id) } });
  manual = await create("MANUAL", { type: "manual", allowed_range: { min: 0, max: 1000 } });
  doubled = await create("FORMULA", { type: "formula", formula: "m * 2", inputs: [kpiInput("m", manual)] });
  plusOne = await create("FORMULA", { type: "formula", formula: "d + 1", inputs: [kpiInput("d", doubled)] });

  const pool = server.database.pool;
  await pool.query(`CREATE TABLE kpi_source.hook_tickets (user_id int NOT NULL, closed_at timestamptz NOT NULL)`);
  await pool.query(`GRANT SELECT ON kpi_source.hook_tickets TO kpi_source_reader`);
  ticketsDefinition = await create("QUERY", {
    type: "database",
    query: "SELECT count(*) FROM hook_tickets WHERE user_id = :user_id AND closed_at >= :start_date AND closed_at < :end_date",
  });

  const db = server.database.db;
  for (const id of [manual, doubled, plusOne, ticketsDefinition]) {
    await buildAssignment(db, { user: alice, definition: { id: Number(id) }, targetValue: 10, weight: 25 });
  }
  for (const id of [manual, doubled, ticketsDefinition]) {
    await buildAssignment(db, { user: bob, definition: { id: Number(id) }, targetValue: 10, weight: 25 });
  }
  await buildExternalId(db, { user: alice, provider: "intercom", externalId: "814860" });
  for (const month of [lastMonth(), thisMonth()]) await ensureMeasurementPartitions(server.database.db, month.start, month.start);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

const waitForRun = (id: string) => finishedRun(server, RUN, id, admin);

async function runIds(trigger: string): Promise<string[]> {
  const { rows } = await server.database.pool.query<{ id: number }>(
    "SELECT id FROM calculation_runs WHERE trigger = $1 ORDER BY id",
    [trigger],
  );
  return rows.map((row) => String(row.id));
}

async function valueOf(userId: number, definitionId: string, periodStart: string): Promise<number | null | undefined> {
  const { rows } = await server.database.pool.query<{ value: number | null }>(
    `SELECT m.actual_value::float8 AS value FROM kpi_measurements m JOIN user_kpis uk ON uk.id = m.user_kpi_id
     WHERE uk.user_id = $1 AND uk.kpi_definition_id = $2 AND m.period_start = $3`,
    [userId, definitionId, periodStart],
  );
  return rows[0]?.value;
}

async function assignmentOf(userId: number, definitionId: string): Promise<string> {
  const { rows } = await server.database.pool.query<{ id: number }>(
    "SELECT id FROM user_kpis WHERE user_id = $1 AND kpi_definition_id = $2",
    [userId, definitionId],
  );
  return String(rows[0]!.id);
}

describe("a recorded value recalculates the formula KPIs over it", () => {
  it("recalculates the same user's dependents, directly and through another formula, for that period", async () => {
    const month = lastMonth();
    for (const [value, expected] of [
      [10, 20],
      [15, 30],
    ] as const) {
      const before = await runIds("measurement");
      const res = await server.gql(
        RECORD,
        {
          userKpiId: await assignmentOf(alice.id, manual),
          input: { periodStart: month.start, periodEnd: month.end, actualValue: value },
        },
        admin,
      );
      expect(res.errors).toBeUndefined();
      const queued = (await runIds("measurement")).filter((id) => !before.includes(id));
      expect(queued).toHaveLength(1);
      const run = await waitForRun(queued[0]!);
      expect(run).toMatchObject({ status: "SUCCEEDED", succeeded: 2, failed: 0, periodStart: month.start });
      expect(await valueOf(alice.id, doubled, month.start)).toBe(expected);
      expect(await valueOf(alice.id, plusOne, month.start)).toBe(expected + 1);
    }
    // Bob's formula reads Bob's own entry, of which there is none.
    expect(await valueOf(bob.id, doubled, month.start)).toBeUndefined();
  });

  it("queues nothing for a value no formula reads", async () => {
    const before = await runIds("measurement");
    const res = await server.gql(
      `mutation($userKpiId: ID!, $periodContaining: Date) { calculateUserKpi(userKpiId: $userKpiId, periodContaining: $periodContaining) { actualValue } }`,
      { userKpiId: await assignmentOf(alice.id, ticketsDefinition), periodContaining: lastMonth().start },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(await runIds("measurement")).toEqual(before);
  });
});

describe("POST /hooks/recalculate", () => {
  const hook = (
    body: string,
    headers: Record<string, string> = { "x-hub-signature-256": sign(body, SECRET) },
    base = server.url,
  ) => fetch(`${base}/hooks/recalculate`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  it("recalculates the users a signed request names, for today's period", async () => {
    await server.database.pool.query(
      "INSERT INTO kpi_source.hook_tickets SELECT $1, now() - g * interval '1 second' FROM generate_series(1, 3) g",
      [alice.id],
    );
    const body = JSON.stringify({
      externalIds: [{ provider: "intercom", externalId: "814860" }],
      kpiDefinitionId: ticketsDefinition,
    });
    const response = await hook(body);
    expect(response.status).toBe(202);
    const answer = (await response.json()) as Record<string, any>;
    expect(answer).toEqual({
      status: "queued",
      runId: expect.any(String),
      users: 1,
      unmatched: { userIds: [], externalIds: [] },
    });
    const run = await waitForRun(answer.runId);
    expect(run).toMatchObject({ status: "SUCCEEDED", trigger: "webhook", succeeded: 1, periodStart: thisMonth().start });
    expect(await valueOf(alice.id, ticketsDefinition, thisMonth().start)).toBe(3);
    expect(await valueOf(bob.id, ticketsDefinition, thisMonth().start)).toBeUndefined();
  });

  it("takes Intercom's own notification, signed with SHA-1, for the conversation's assigned admin", async () => {
    const body = JSON.stringify({
      type: "notification_event",
      topic: "conversation.admin.closed",
      data: { type: "notification_event_data", item: { type: "conversation", id: "5", admin_assignee_id: 814860 } },
    });
    const signature = `sha1=${createHmac("sha1", SECRET).update(body).digest("hex")}`;
    const response = await hook(body, { "x-hub-signature": signature });
    expect(response.status).toBe(202);
    const run = await waitForRun(((await response.json()) as { runId: string }).runId);
    expect(run).toMatchObject({ status: "SUCCEEDED", trigger: "webhook" });

    const ping = JSON.stringify({ type: "notification_event", topic: "ping", data: { item: { type: "ping" } } });
    const pinged = await hook(ping, { "x-hub-signature": `sha1=${createHmac("sha1", SECRET).update(ping).digest("hex")}` });
    expect(pinged.status).toBe(200);
    expect(await pinged.json()).toMatchObject({ status: "ignored" });
  });

  it("answers 200 without a run when it names nobody we know, listing what it did not match", async () => {
    const before = await runIds("webhook");
    const body = JSON.stringify({ userIds: [999999], externalIds: [{ provider: "aircall", externalId: "nobody" }] });
    const response = await hook(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ignored",
      reason: expect.any(String),
      unmatched: { userIds: [999999], externalIds: [{ provider: "aircall", externalId: "nobody" }] },
    });
    expect(await runIds("webhook")).toEqual(before);
  });

  it("refuses unsigned, wrongly signed and malformed requests with a code, queueing nothing", async () => {
    const before = await runIds("webhook");
    const good = JSON.stringify({ userIds: [alice.id] });
    const cases: [string, Record<string, string>, number, string][] = [
      [good, {}, 401, "UNAUTHENTICATED"],
      [good, { "x-hub-signature-256": sign(good, "another-secret-entirely-0123") }, 401, "UNAUTHENTICATED"],
      [good, { "x-hub-signature-256": sign(good + " ", SECRET) }, 401, "UNAUTHENTICATED"],
      [good, { "x-hub-signature-256": "sha256=nothex" }, 401, "UNAUTHENTICATED"],
      ["{not json", { "x-hub-signature-256": sign("{not json", SECRET) }, 400, "BAD_USER_INPUT"],
      ...[
        JSON.stringify([alice.id]),
        JSON.stringify({}),
        JSON.stringify({ userIds: ["abc"] }),
        JSON.stringify({ userIds: [alice.id], periodContaining: "2026-02-30" }),
        JSON.stringify({ userIds: [alice.id], periodContaining: "2999-01-01" }),
        JSON.stringify({ userIds: [alice.id], kpiDefinitionId: manual }),
        JSON.stringify({ userIds: Array.from({ length: 1001 }, (_, i) => i + 1) }),
      ].map((body): [string, Record<string, string>, number, string] => [
        body,
        { "x-hub-signature-256": sign(body, SECRET) },
        400,
        "BAD_USER_INPUT",
      ]),
    ];
    // NOT_FOUND is 404 here as on every REST route (it was 400 before issue 13's one error mapping).
    const unknownDefinition = JSON.stringify({ userIds: [alice.id], kpiDefinitionId: 999999 });
    cases.push([unknownDefinition, { "x-hub-signature-256": sign(unknownDefinition, SECRET) }, 404, "NOT_FOUND"]);
    const huge = JSON.stringify({ userIds: [alice.id], padding: "x".repeat(70_000) });
    cases.push([huge, { "x-hub-signature-256": sign(huge, SECRET) }, 413, "BAD_USER_INPUT"]);
    for (const [body, headers, status, code] of cases) {
      const response = await hook(body, headers);
      const answer = (await response.json()) as Record<string, any>;
      expect({ status: response.status, code: answer.errors?.[0]?.extensions?.code }, body.slice(0, 80)).toEqual({
        status,
        code,
      });
      expect(JSON.stringify(answer)).not.toMatch(/at .*\.ts|SELECT|node_modules/);
    }
    expect(await runIds("webhook")).toEqual(before);
  });

  it("is off (404) on a server without WEBHOOK_SECRET", async () => {
    const plain = await startTestServer({ DATABASE_URL: database.url });
    try {
      const body = JSON.stringify({ userIds: [alice.id] });
      const response = await hook(body, { "x-hub-signature-256": sign(body, SECRET) }, plain.url);
      expect(response.status).toBe(404);
      expect(((await response.json()) as Record<string, any>).errors[0].extensions.code).toBe("NOT_FOUND");
    } finally {
      await plain.stop();
    }
  });
});

describe("calculationHealth", () => {
  it("shows the schedules' last runs, the last day's totals and failure rate, and the backlog", async () => {
    const read = async () => {
      const res = await server.gql(HEALTH, {}, admin);
      expect(res.errors).toBeUndefined();
      return res.data!.calculationHealth;
    };
    const before = await read();
    expect(before.schedules.map((s: { aggregationPeriod: string }) => s.aggregationPeriod)).toEqual([
      "DAILY",
      "WEEKLY",
      "MONTHLY",
      "QUARTERLY",
    ]);
    expect(before.lastDay.runs).toBeGreaterThanOrEqual(4); // this file's runs so far
    expect(before.lastDay.failureRate).toBe(0);

    const pool = server.database.pool;
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
    const finishedRunOf = (
      trigger: string,
      status: RunStatusValue,
      succeeded: number,
      failed: number,
      finishedHoursAgo: number,
    ) =>
      buildCalculationRun(server.database.db, {
        trigger,
        status,
        succeeded,
        failed,
        createdAt: hoursAgo(finishedHoursAgo),
        finishedAt: hoursAgo(finishedHoursAgo),
      });
    await finishedRunOf("schedule:monthly", "succeeded", 50, 0, 72);
    const latest = await finishedRunOf("schedule:monthly", "partial", 6, 2, 1);
    await finishedRunOf("manual", "failed", 0, 5, 48); // outside the last day
    const after = await read();
    expect(after.schedules).toContainEqual({
      aggregationPeriod: "MONTHLY",
      lastRun: { id: String(latest.id), status: "PARTIAL", trigger: "schedule:monthly" },
    });
    expect(after.schedules).toContainEqual({ aggregationPeriod: "QUARTERLY", lastRun: null });
    expect(after.lastDay).toMatchObject({
      runs: before.lastDay.runs + 1,
      partialRuns: before.lastDay.partialRuns + 1,
      failedRuns: before.lastDay.failedRuns,
      succeeded: before.lastDay.succeeded + 6,
      failed: before.lastDay.failed + 2,
    });
    const { succeeded, failed, skipped, undefinedCount } = after.lastDay;
    expect(after.lastDay.failureRate).toBeCloseTo(failed / (succeeded + failed + skipped + undefinedCount), 10);

    const stuck = await buildCalculationRun(server.database.db, { trigger: "manual", status: "queued", createdAt: hoursAgo(2) });
    const withBacklog = await read();
    expect(withBacklog.unfinishedRuns).toBe(after.unfinishedRuns + 1);
    expect(new Date(withBacklog.oldestUnfinishedRunAt).getTime()).toBeLessThanOrEqual(stuck.createdAt.getTime());
    expect(withBacklog.jobQueue).toEqual({ queued: expect.any(Number), running: expect.any(Number) });
    await pool.query(
      "UPDATE calculation_runs SET status = 'failed', finished_at = now() - interval '3 days' WHERE status = 'queued' AND trigger = 'manual'",
    );
  });

  it("is for admins only", async () => {
    for (const role of ["user", "teamManager", "otherManager"] as const) {
      const res = await server.gql(HEALTH, {}, world.tokens[role]);
      expect(res.errors?.[0]?.extensions?.code, role).toBe("FORBIDDEN");
    }
    const anonymous = await server.gql(HEALTH, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
