import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kpiMeasurements, userKpis } from "../../src/db/schema/index.js";
import { addDays, shiftPeriod } from "../../src/scoring/periods.js";
import {
  at,
  CalculationWorld,
  databaseSource,
  definitionInput,
  lastMonth,
  monthsBefore,
  onlyError,
  PREVIEW,
  sourceTable,
} from "../helpers/calculation.js";
import { buildExternalId, buildUser } from "../helpers/factories.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

/**
 * calculateUserKpi and previewKpiDefinition over HTTP against the real database: QUERY definitions
 * reading a table of their own in kpi_source, the refusals of calculateUserKpi, and who may
 * calculate. Hostile SQL is in query-safety.test.ts, FORMULA definitions in formula-calculation.test.ts.
 */

let server: TestServer;
let world: RoleWorld;
let admin: string;
let calc: CalculationWorld;
/** kpi_source.<cases>: support cases like the design's support_cases (see beforeAll for the rows). */
let cases: string;
let user: number;

const L = lastMonth();
/** Two months before the last complete one: `user` resolved one case there. */
const P = monthsBefore(2);
/** Three months before: no data for `user` at all. */
const EMPTY = monthsBefore(3);
const middleOf = (period: { start: string }) => addDays(period.start, 14);

const countQuery = () =>
  `SELECT COUNT(*) FROM ${cases} WHERE assigned_to = :user_id AND resolved_at >= :start_date AND resolved_at < :end_date`;
// The product design's Example 1, over our table.
const averageQuery = () =>
  `SELECT AVG(EXTRACT(EPOCH FROM (resolved_at - created_at)) / 3600) as avg_hours FROM ${cases} WHERE assigned_to = :user_id AND resolved_at >= :start_date AND resolved_at < :end_date`;
async function addCase(assignedTo: number, resolvedAt: string | null, hours: number, createdAt?: string) {
  await calc.sql(`INSERT INTO kpi_source.${cases} (assigned_to, created_at, resolved_at) VALUES ($1, $2, $3)`, [
    assignedTo,
    createdAt ?? new Date(Date.parse(resolvedAt!) - hours * 3_600_000).toISOString(),
    resolvedAt,
  ]);
}

beforeAll(async () => {
  ({ server, world, admin } = await startServerWithRoles());
  calc = new CalculationWorld(server, admin);
  user = world.users.user.id;
  cases = sourceTable("support_cases");
  await calc.sql(
    `CREATE TABLE kpi_source.${cases} (id serial PRIMARY KEY, assigned_to int NOT NULL, created_at timestamptz NOT NULL, resolved_at timestamptz)`,
  );
  // In L, `user` resolved three cases in 10, 10 and 11 hours, the first at the very start of the month.
  await addCase(user, at(L.start, 0), 10);
  await addCase(user, at(L.start, 100), 10);
  await addCase(user, at(L.start, 200), 11);
  await addCase(user, at(L.end, 0), 50); // the first instant of the next month: not L's
  await addCase(user, null, 0, at(L.start, 20)); // unresolved
  await addCase(user, at(P.start, 30), 40);
  await addCase(world.users.otherUser.id, at(L.start, 30), 99);
});
afterAll(async () => {
  await calc?.sql(`DROP TABLE IF EXISTS kpi_source.${cases}`);
  await server?.stop();
});

describe("QUERY definitions", () => {
  it("calculates the latest completed month by default, storing the value with its provenance", async () => {
    const definition = await calc.create("QUERY", databaseSource(countQuery()));
    const userKpiId = await calc.assign(user, definition.id);
    const res = await calc.calculate(userKpiId);
    expect(res.errors).toBeUndefined();
    const measurement = res.data!.calculateUserKpi;
    expect(measurement).toEqual({
      id: expect.any(String),
      periodStart: L.start,
      periodEnd: L.end,
      actualValue: 3,
      targetValue: 5,
      achievementPercentage: 60,
      calculatedAt: expect.any(String),
      calculatedBy: null,
      calculationMetadata: {
        source: "database",
        connection: "default",
        query: countQuery(),
        parameters: { user_id: user, start_date: L.start, end_date: L.end },
        rows: 1,
        durationMs: expect.any(Number),
        outcome: "value",
        calculatedInMs: expect.any(Number),
      },
    });
    expect(Date.now() - Date.parse(measurement.calculatedAt)).toBeLessThan(60_000);
    const rows = await calc.measurementsOf(userKpiId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: Number(measurement.id), actualValue: 3, targetValue: 5, calculatedBy: null });
    expect(rows[0]!.calculationMetadata).toEqual(measurement.calculationMetadata);
  });

  it("calculates the period containing periodContaining, and each user from their own rows", async () => {
    const definition = await calc.create("QUERY", databaseSource(countQuery()));
    const userKpiId = await calc.assign(user, definition.id);
    const older = await calc.calculate(userKpiId, middleOf(P));
    expect(older.errors).toBeUndefined();
    expect(older.data!.calculateUserKpi).toMatchObject({
      periodStart: P.start,
      periodEnd: P.end,
      actualValue: 1,
      achievementPercentage: 20,
    });
    expect(older.data!.calculateUserKpi.calculationMetadata.parameters).toEqual({
      user_id: user,
      start_date: P.start,
      end_date: P.end,
    });
    const empty = await calc.calculate(userKpiId, EMPTY.start);
    expect(empty.data!.calculateUserKpi).toMatchObject({ periodStart: EMPTY.start, actualValue: 0, achievementPercentage: 0 });

    const other = await calc.calculate(await calc.assign(world.users.otherUser.id, definition.id), L.start);
    expect(other.data!.calculateUserKpi).toMatchObject({ periodStart: L.start, actualValue: 1 });
    expect((await calc.measurementsOf(userKpiId)).map((m) => [m.periodStart, m.actualValue])).toEqual([
      [EMPTY.start, 0],
      [P.start, 1],
    ]);
  });

  it("replaces the measurement when a period is recalculated, picking up changed source rows", async () => {
    const definition = await calc.create("QUERY", databaseSource(countQuery()));
    const userKpiId = await calc.assign(user, definition.id);
    const first = await calc.calculate(userKpiId);
    const again = await calc.calculate(userKpiId);
    expect(again.data!.calculateUserKpi).toMatchObject({ id: first.data!.calculateUserKpi.id, actualValue: 3 });
    expect(await calc.measurementsOf(userKpiId)).toHaveLength(1);

    const changedUser = await buildUser(server.database.db);
    const changedKpiId = await calc.assign(changedUser.id, definition.id);
    expect((await calc.calculate(changedKpiId)).data!.calculateUserKpi.actualValue).toBe(0);
    await addCase(changedUser.id, at(L.start, 300), 5);
    await addCase(changedUser.id, at(L.start, 301), 5);
    const changed = await calc.calculate(changedKpiId);
    expect(changed.data!.calculateUserKpi).toMatchObject({ actualValue: 2, achievementPercentage: 40 });
    const rows = await calc.measurementsOf(changedKpiId);
    expect(rows.map((m) => [m.periodStart, m.actualValue])).toEqual([[L.start, 2]]);
  });

  it("runs the design's Example 1, average resolution hours (LOWER_BETTER), rounded to two decimals", async () => {
    const definition = await calc.create(
      "QUERY",
      { ...databaseSource(averageQuery()), parameters: ["user_id", "start_date", "end_date"] },
      { unit: "hours", targetType: "LOWER_BETTER" },
    );
    const userKpiId = await calc.assign(user, definition.id, monthsBefore(12).start, 24);
    const res = await calc.calculate(userKpiId);
    expect(res.errors).toBeUndefined();
    // (10 + 10 + 11) / 3 hours; achievement 24 / 10.33.
    expect(res.data!.calculateUserKpi).toMatchObject({ actualValue: 10.33, targetValue: 24, achievementPercentage: 232.33 });
    const older = await calc.calculate(userKpiId, P.start);
    expect(older.data!.calculateUserKpi).toMatchObject({ actualValue: 40, achievementPercentage: 60 });
  });

  it("binds :external_id.<provider>, and skips (CALCULATION_FAILED, nothing stored) a user without that account", async () => {
    const definition = await calc.create("QUERY", databaseSource("SELECT length(:external_id.intercom::text)"));
    const withId = await buildUser(server.database.db);
    await buildExternalId(server.database.db, { user: withId, provider: "intercom", externalId: "ic-12345" });
    const measured = await calc.calculate(await calc.assign(withId.id, definition.id));
    expect(measured.data!.calculateUserKpi).toMatchObject({
      actualValue: 8,
      calculationMetadata: { parameters: { "external_id.intercom": "ic-12345" } },
    });

    const withoutId = await calc.assign(user, definition.id);
    const error = onlyError(await calc.calculate(withoutId), "calculateUserKpi");
    expect(error).toMatchObject({ code: "CALCULATION_FAILED", message: "skipped: no intercom id" });
    expect(await calc.measurementsOf(withoutId)).toEqual([]);
  });
});

describe("calculateUserKpi refusals", () => {
  /** A fresh definition each time: a user has a definition at most once at a time. */
  const countDefinition = async () => (await calc.create("QUERY", databaseSource(countQuery()))).id;

  it("a MANUAL assignment: BAD_USER_INPUT", async () => {
    const manual = await calc.create("MANUAL", { type: "manual" });
    const error = onlyError(await calc.calculate(await calc.assign(user, manual.id)), "calculateUserKpi");
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", field: "userKpiId" });
    expect(error.message).toMatch(/is MANUAL: its values are recorded with recordMeasurement/);
  });

  it("an unknown assignment, for an admin: NOT_FOUND", async () => {
    expect(onlyError(await calc.calculate("99999999"), "calculateUserKpi")).toMatchObject({ code: "NOT_FOUND" });
  });

  it("a period that has not started: BAD_USER_INPUT", async () => {
    const userKpiId = await calc.assign(user, await countDefinition());
    const future = shiftPeriod("monthly", L, 2).start;
    const error = onlyError(await calc.calculate(userKpiId, future), "calculateUserKpi");
    expect(error).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "periodContaining",
      message: "periodContaining: the period has not started yet",
    });
    expect(await calc.measurementsOf(userKpiId)).toEqual([]);
  });

  it("a period outside the assignment: BAD_USER_INPUT", async () => {
    const lateStart = await calc.assign(user, await countDefinition(), L.start);
    const before = onlyError(await calc.calculate(lateStart, P.start), "calculateUserKpi");
    expect(before).toMatchObject({ code: "BAD_USER_INPUT", field: "periodContaining" });
    expect(before.message).toMatch(new RegExp(`the period ${P.start} to ${P.end} is outside the assignment`));
    const ended = await calc.assign(user, await countDefinition(), monthsBefore(6).start);
    await server.database.db
      .update(userKpis)
      .set({ endDate: addDays(P.start, -1) })
      .where(eq(userKpis.id, Number(ended)));
    expect(onlyError(await calc.calculate(ended), "calculateUserKpi")).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(await calc.measurementsOf(lateStart)).toEqual([]);
    expect(await calc.measurementsOf(ended)).toEqual([]);
  });

  it("an API definition: skipped for a user without an intercom id, failing without an Intercom token (CALCULATION_FAILED, nothing stored)", async () => {
    const api = await calc.create("API", { type: "intercom", metric: "conversation_count" });
    const withId = await buildUser(server.database.db);
    await buildExternalId(server.database.db, { user: withId, provider: "intercom", externalId: "ic-777" });
    // The test server has no INTERCOM_ACCESS_TOKEN, so nothing reaches the network.
    for (const [userId, message] of [
      [user, "skipped: no intercom id"],
      [withId.id, "Intercom is not configured: set INTERCOM_ACCESS_TOKEN"],
    ] as const) {
      const userKpiId = await calc.assign(userId, api.id);
      const error = onlyError(await calc.calculate(userKpiId), "calculateUserKpi");
      expect(error).toMatchObject({ code: "CALCULATION_FAILED", message });
      expect(await calc.measurementsOf(userKpiId)).toEqual([]);
    }
  });

  it("who may calculate: the user's manager and admins; not another manager, the user, or anonymous", async () => {
    const userKpiId = await calc.assign(user, await countDefinition());
    for (const role of ["otherManager", "user", "anonymous"] as const) {
      const error = onlyError(await calc.calculate(userKpiId, undefined, world.tokens[role]), "calculateUserKpi");
      expect(error.code).toBe(role === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN");
    }
    expect(await calc.measurementsOf(userKpiId)).toEqual([]);
    const byManager = await calc.calculate(userKpiId, undefined, world.tokens.teamManager);
    expect(byManager.errors).toBeUndefined();
    expect(byManager.data!.calculateUserKpi).toMatchObject({ actualValue: 3, calculatedBy: null });
    // The provenance stays the admin's to read.
    const metadata = await server.gql(
      `mutation($id: ID!) { calculateUserKpi(userKpiId: $id) { actualValue calculationMetadata } }`,
      { id: userKpiId },
      world.tokens.teamManager,
    );
    expect(metadata.errors?.map((e) => [e.extensions?.code, e.path?.join(".")])).toEqual([
      ["FORBIDDEN", "calculateUserKpi.calculationMetadata"],
    ]);
  });
});

describe("previewKpiDefinition", () => {
  const resolvedPerNothing = () => ({
    type: "formula",
    formula: "resolved / nothing",
    inputs: [
      { variable: "resolved", source: databaseSource(countQuery()) },
      { variable: "nothing", source: databaseSource("SELECT 0") },
    ],
  });
  const preview = (input: unknown, periodContaining?: string, token = admin, userId = user) =>
    server.gql(PREVIEW, { input, userId: String(userId), periodContaining }, token);

  async function measurementsOfUser() {
    const rows = await server.database.db
      .select({ id: kpiMeasurements.id })
      .from(kpiMeasurements)
      .innerJoin(userKpis, eq(userKpis.id, kpiMeasurements.userKpiId))
      .where(eq(userKpis.userId, user));
    return rows.length;
  }

  it("runs a query definition for a user and period, storing nothing", async () => {
    const input = definitionInput("QUERY", databaseSource(countQuery()));
    const measured = await measurementsOfUser();
    const res = await preview(input, middleOf(P));
    expect(res.errors).toBeUndefined();
    expect(res.data!.previewKpiDefinition).toEqual({
      outcome: "VALUE",
      value: 1,
      reason: null,
      periodStart: P.start,
      periodEnd: P.end,
      metadata: {
        source: "database",
        connection: "default",
        query: countQuery(),
        parameters: { user_id: user, start_date: P.start, end_date: P.end },
        rows: 1,
        durationMs: expect.any(Number),
      },
    });
    const latest = await preview(input);
    expect(latest.data!.previewKpiDefinition).toMatchObject({ outcome: "VALUE", value: 3, periodStart: L.start });
    expect(await calc.definitionsNamed(input.name)).toBe(0);
    expect(await measurementsOfUser()).toBe(measured);
  });

  it("answers FAILED with the reason for a query that cannot run, not an error", async () => {
    const res = await preview(definitionInput("QUERY", databaseSource("SELECT count(*) FROM no_such_table")));
    expect(res.errors).toBeUndefined();
    expect(res.data!.previewKpiDefinition).toMatchObject({
      outcome: "FAILED",
      value: null,
      reason: 'relation "no_such_table" does not exist',
      periodStart: L.start,
    });
  });

  it("answers UNDEFINED for a formula dividing by zero", async () => {
    const res = await preview(definitionInput("FORMULA", resolvedPerNothing()));
    expect(res.errors).toBeUndefined();
    expect(res.data!.previewKpiDefinition).toMatchObject({
      outcome: "UNDEFINED",
      value: null,
      reason: expect.stringMatching(/division by zero/),
    });
  });

  it("answers FAILED for a formula that does not compile", async () => {
    const res = await preview(definitionInput("FORMULA", { ...resolvedPerNothing(), formula: "nope + 1" }));
    expect(res.errors).toBeUndefined();
    expect(res.data!.previewKpiDefinition).toMatchObject({
      outcome: "FAILED",
      reason: expect.stringMatching(/unknown variable "nope" at position 0/),
    });
  });

  it("refuses a MANUAL definition (BAD_USER_INPUT), an unknown user (NOT_FOUND) and a manager (FORBIDDEN)", async () => {
    const manual = onlyError(await preview(definitionInput("MANUAL", { type: "manual" })), "previewKpiDefinition");
    expect(manual).toMatchObject({ code: "BAD_USER_INPUT", field: "input.calculationType" });
    const query = definitionInput("QUERY", databaseSource(countQuery()));
    expect(onlyError(await preview(query, undefined, admin, 99999999), "previewKpiDefinition")).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(onlyError(await preview(query, undefined, world.tokens.teamManager!), "previewKpiDefinition")).toMatchObject({
      code: "FORBIDDEN",
    });
  });
});
