import { and, asc, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, kpiMeasurements, type AggregationPeriodValue } from "../../src/db/schema/index.js";
import { buildAssignment, buildDefinition, buildUser, type AssignmentOptions } from "../helpers/factories.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

let server: TestServer;
let world: RoleWorld;
let admin: string;

beforeAll(async () => ({ server, world, admin } = await startServerWithRoles()));
afterAll(() => server?.stop());

const RECORD = `mutation($userKpiId: ID!, $input: RecordMeasurementInput!) {
  recordMeasurement(userKpiId: $userKpiId, input: $input) {
    id periodStart periodEnd actualValue targetValue achievementPercentage notes calculatedAt calculatedBy { id }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateUserKpiInput!) { updateUserKpi(id: $id, input: $input) { id targetValue } }`;

const db = () => server.database.db;
const id = (row: { id: number }) => String(row.id);

// Periods relative to today (UTC, the server's default KPI_TIMEZONE), so the tests keep working as time passes.
const iso = (date: Date) => date.toISOString().slice(0, 10);
const day = (year: number, month: number, date: number) => iso(new Date(Date.UTC(year, month, date)));
const now = new Date();
const [Y, M, D] = [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()];
const mondayOffset = (now.getUTCDay() + 6) % 7;
const quarterMonth = M - (M % 3);
const lastMonth = { start: day(Y, M - 1, 1), end: day(Y, M, 1) };
const monthBefore = { start: day(Y, M - 2, 1), end: day(Y, M - 1, 1) };
const lastWeek = { start: day(Y, M, D - mondayOffset - 7), end: day(Y, M, D - mondayOffset) };
const lastQuarter = { start: day(Y, quarterMonth - 3, 1), end: day(Y, quarterMonth, 1) };
const yesterday = { start: day(Y, M, D - 1), end: day(Y, M, D) };

const manualDefinition = (aggregationPeriod: AggregationPeriodValue = "monthly") =>
  buildDefinition(db(), {
    calculationType: "manual",
    dataSource: { type: "manual", allowed_range: { min: 1, max: 5 } },
    aggregationPeriod,
    targetType: "higher_better",
  });

/**
 * A MANUAL assignment (target 4, from 2018, ongoing) of `definition` to `user`: by default a fresh
 * monthly definition (range 1..5) and the team manager's user.
 */
async function manualAssignment(terms: AssignmentOptions = {}) {
  return buildAssignment(db(), {
    user: world.users.user,
    definition: terms.definition ?? (await manualDefinition()),
    targetValue: 4,
    startDate: "2018-01-01",
    ...terms,
  });
}

const record = (
  userKpiId: number | string,
  input: { actualValue: number; periodStart: string; periodEnd: string; notes?: string | null },
  token: string | null = world.tokens.teamManager,
) => server.gql(RECORD, { userKpiId: String(userKpiId), input }, token);

const measurementsOf = (userKpiId: number) =>
  db().select().from(kpiMeasurements).where(eq(kpiMeasurements.userKpiId, userKpiId)).orderBy(asc(kpiMeasurements.periodStart));

const measurementAudit = (userKpiId: number) =>
  db()
    .select()
    .from(auditLog)
    .where(
      and(eq(auditLog.entityType, "user_kpi"), eq(auditLog.entityId, String(userKpiId)), like(auditLog.action, "measurement.%")),
    )
    .orderBy(asc(auditLog.id));

function expectBadInput(res: Awaited<ReturnType<typeof record>>, field: string, message: RegExp | string) {
  expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  expect(res.errors?.[0]?.message).toMatch(message);
  expect(res.data?.recordMeasurement ?? null).toBeNull();
}

describe("recordMeasurement", () => {
  it("records the manager's value for last month with the target and achievement of the moment", async () => {
    const assignment = await manualAssignment();
    const res = await record(assignment.id, {
      actualValue: 3,
      periodStart: lastMonth.start,
      periodEnd: lastMonth.end,
      notes: "  Good month  ",
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordMeasurement).toMatchObject({
      periodStart: lastMonth.start,
      periodEnd: lastMonth.end,
      actualValue: 3,
      targetValue: 4,
      achievementPercentage: 75,
      notes: "Good month",
      calculatedBy: { id: id(world.users.teamManager) },
    });
    expect(Date.now() - Date.parse(res.data!.recordMeasurement.calculatedAt)).toBeLessThan(60_000);

    const rows = await measurementsOf(assignment.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: Number(res.data!.recordMeasurement.id),
      periodStart: lastMonth.start,
      periodEnd: lastMonth.end,
      actualValue: 3,
      targetValue: 4,
      achievementPercentage: 75,
      calculatedBy: world.users.teamManager.id,
      notes: "Good month",
      calculationMetadata: { source: "manual" },
    });
  });

  it("lets an admin record too, and accepts the bounds of the allowed range", async () => {
    const assignment = await manualAssignment();
    const low = await record(assignment.id, { actualValue: 1, ...periodOf(monthBefore) }, admin);
    expect(low.errors).toBeUndefined();
    expect(low.data!.recordMeasurement).toMatchObject({
      actualValue: 1,
      achievementPercentage: 25,
      calculatedBy: { id: id(world.users.admin) },
    });
    const high = await record(assignment.id, { actualValue: 5, ...periodOf(lastMonth) }, admin);
    expect(high.data!.recordMeasurement).toMatchObject({ actualValue: 5, achievementPercentage: 125 });
    expect(await measurementsOf(assignment.id)).toHaveLength(2);
  });

  it("replaces the value when the same period is recorded again, keeping both versions in the audit log", async () => {
    const assignment = await manualAssignment();
    const first = await record(assignment.id, { actualValue: 3, ...periodOf(lastMonth), notes: "first" });
    expect(first.errors).toBeUndefined();
    const second = await record(assignment.id, { actualValue: 5, ...periodOf(lastMonth), notes: "corrected" }, admin);
    expect(second.errors).toBeUndefined();
    expect(second.data!.recordMeasurement).toMatchObject({ actualValue: 5, achievementPercentage: 125, notes: "corrected" });

    const rows = await measurementsOf(assignment.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actualValue: 5,
      achievementPercentage: 125,
      notes: "corrected",
      calculatedBy: world.users.admin.id,
    });

    const audit = await measurementAudit(assignment.id);
    expect(audit.map((entry) => [entry.action, entry.actorId])).toEqual([
      ["measurement.record", world.users.teamManager.id],
      ["measurement.replace", world.users.admin.id],
    ]);
    const period = { userKpiId: assignment.id, periodStart: lastMonth.start, periodEnd: lastMonth.end };
    expect(audit[0]).toMatchObject({ before: null, after: { ...period, actualValue: 3, targetValue: 4, notes: "first" } });
    expect(audit[1]).toMatchObject({
      before: { ...period, actualValue: 3, achievementPercentage: 75, notes: "first" },
      after: { ...period, actualValue: 5, achievementPercentage: 125, notes: "corrected" },
    });
  });

  it("keeps the target of the moment: a later target change does not rewrite a recorded measurement", async () => {
    const assignment = await manualAssignment();
    const before = await record(assignment.id, { actualValue: 3, ...periodOf(lastMonth) });
    expect(before.data!.recordMeasurement).toMatchObject({ targetValue: 4, achievementPercentage: 75 });

    const changed = await server.gql(UPDATE, { id: id(assignment), input: { targetValue: 6 } }, world.tokens.teamManager);
    expect(changed.data!.updateUserKpi.targetValue).toBe(6);

    const [old] = await measurementsOf(assignment.id);
    expect(old).toMatchObject({ periodStart: lastMonth.start, actualValue: 3, targetValue: 4, achievementPercentage: 75 });

    const after = await record(assignment.id, { actualValue: 3, ...periodOf(monthBefore) });
    expect(after.data!.recordMeasurement).toMatchObject({ targetValue: 6, achievementPercentage: 50 });
    expect((await measurementsOf(assignment.id)).map((row) => [row.periodStart, row.targetValue])).toEqual([
      [monthBefore.start, 6],
      [lastMonth.start, 4],
    ]);
  });

  for (const actualValue of [6, 0]) {
    it(`refuses ${actualValue}, outside the allowed range 1..5, naming actualValue and the range`, async () => {
      const assignment = await manualAssignment();
      const res = await record(assignment.id, { actualValue, ...periodOf(lastMonth) });
      expectBadInput(res, "actualValue", /^actualValue: .*between 1 and 5/);
      expect(await measurementsOf(assignment.id)).toEqual([]);
      expect(await measurementAudit(assignment.id)).toEqual([]);
    });
  }

  it("refuses a monthly value for anything but exactly one month, giving an example period", async () => {
    const assignment = await manualAssignment();
    const example = new RegExp(`e\\.g\\. ${lastMonth.start} to ${lastMonth.end}`);
    const lastDay = day(Y, M, 0);
    for (const [periodStart, periodEnd] of [
      [lastMonth.start, lastDay], // inclusive end instead of the first day after
      [day(Y, M - 1, 15), day(Y, M, 15)], // a month, but not a calendar month
      [lastMonth.start, lastMonth.start], // empty
      [lastMonth.start, day(Y, M + 1, 1)], // two months
    ]) {
      const res = await record(assignment.id, { actualValue: 3, periodStart: periodStart!, periodEnd: periodEnd! });
      expectBadInput(res, "periodStart", example);
      expect(res.errors?.[0]?.message).toMatch(/monthly/);
    }
    expect(await measurementsOf(assignment.id)).toEqual([]);
  });

  it("takes a weekly value for Monday to next Monday and refuses a week starting on Sunday", async () => {
    const assignment = await manualAssignment({ definition: await manualDefinition("weekly") });
    const ok = await record(assignment.id, { actualValue: 4, ...periodOf(lastWeek) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.recordMeasurement).toMatchObject({
      periodStart: lastWeek.start,
      periodEnd: lastWeek.end,
      achievementPercentage: 100,
    });
    expect(new Date(`${lastWeek.start}T00:00:00Z`).getUTCDay()).toBe(1);

    const sunday = day(Y, M, D - mondayOffset - 8);
    const res = await record(assignment.id, { actualValue: 4, periodStart: sunday, periodEnd: day(Y, M, D - mondayOffset - 1) });
    // The example is the ISO week (Monday to Monday) that holds the Sunday.
    expectBadInput(res, "periodStart", `e.g. ${day(Y, M, D - mondayOffset - 14)} to ${lastWeek.start}`);
    expect(await measurementsOf(assignment.id)).toHaveLength(1);
  });

  it("takes a quarterly value for a calendar quarter only", async () => {
    const assignment = await manualAssignment({ definition: await manualDefinition("quarterly") });
    const ok = await record(assignment.id, { actualValue: 2, ...periodOf(lastQuarter) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.recordMeasurement).toMatchObject({
      periodStart: lastQuarter.start,
      periodEnd: lastQuarter.end,
      achievementPercentage: 50,
    });
    const month = await record(assignment.id, {
      actualValue: 2,
      periodStart: lastQuarter.start,
      periodEnd: day(Y, quarterMonth - 2, 1),
    });
    expectBadInput(month, "periodStart", `e.g. ${lastQuarter.start} to ${lastQuarter.end}`);
  });

  it("takes a daily value for exactly one day", async () => {
    const assignment = await manualAssignment({ definition: await manualDefinition("daily") });
    const ok = await record(assignment.id, { actualValue: 5, ...periodOf(yesterday) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.recordMeasurement).toMatchObject({ periodStart: yesterday.start, periodEnd: yesterday.end });
    const twoDays = await record(assignment.id, { actualValue: 5, periodStart: day(Y, M, D - 2), periodEnd: yesterday.end });
    expectBadInput(twoDays, "periodStart", /daily/);
    expect(await measurementsOf(assignment.id)).toHaveLength(1);
  });

  it("refuses a period outside the assignment's dates", async () => {
    const assignment = await manualAssignment({ startDate: "2026-09-01" });
    const before = await record(assignment.id, { actualValue: 3, periodStart: "2026-06-01", periodEnd: "2026-07-01" });
    expectBadInput(before, "periodStart", /outside the assignment \(2026-09-01 to ongoing\)/);
    // The month that ends the day the assignment starts is outside too (periods are half-open).
    const adjacent = await record(assignment.id, { actualValue: 3, periodStart: "2026-08-01", periodEnd: "2026-09-01" });
    expectBadInput(adjacent, "periodStart", /outside the assignment/);

    const ended = await manualAssignment({ startDate: "2026-01-01", endDate: "2026-03-31" });
    const after = await record(ended.id, { actualValue: 3, periodStart: "2026-04-01", periodEnd: "2026-05-01" });
    expectBadInput(after, "periodStart", /outside the assignment \(2026-01-01 to 2026-03-31\)/);
    const lastCovered = await record(ended.id, { actualValue: 3, periodStart: "2026-03-01", periodEnd: "2026-04-01" });
    expect(lastCovered.errors).toBeUndefined();
    expect(await measurementsOf(assignment.id)).toEqual([]);
  });

  it("refuses a period that has not started yet", async () => {
    const assignment = await manualAssignment();
    const res = await record(assignment.id, { actualValue: 3, periodStart: `${Y + 1}-01-01`, periodEnd: `${Y + 1}-02-01` });
    expectBadInput(res, "periodStart", /not started/);
    expect(await measurementsOf(assignment.id)).toEqual([]);
  });

  it("refuses an assignment of a calculated (QUERY) definition", async () => {
    const definition = await buildDefinition(db(), {
      calculationType: "query",
      dataSource: { type: "database", query: "SELECT 1 AS value WHERE :user_id > 0", parameters: ["user_id"] },
    });
    const assignment = await buildAssignment(db(), {
      user: world.users.user,
      definition,
      targetValue: 4,
      startDate: "2018-01-01",
    });
    const res = await record(assignment.id, { actualValue: 3, ...periodOf(lastMonth) });
    expectBadInput(res, "userKpiId", /query source, not recorded by hand/);
    expect(await measurementsOf(assignment.id)).toEqual([]);
  });

  it("refuses a deactivated assignment", async () => {
    const assignment = await manualAssignment({ isActive: false });
    const res = await record(assignment.id, { actualValue: 3, ...periodOf(lastMonth) });
    expectBadInput(res, "userKpiId", /deactivated/);
    expect(await measurementsOf(assignment.id)).toEqual([]);
  });

  it("answers NOT_FOUND for an unknown assignment (admin)", async () => {
    const res = await record("99999999", { actualValue: 3, ...periodOf(lastMonth) }, admin);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", entity: "UserKpi", id: "99999999" });
  });

  it("refuses a manager recording for a user of another team, and a manager recording for themselves", async () => {
    const definition = await manualDefinition();
    const other = await manualAssignment({ user: world.users.otherUser, definition });
    const res = await record(other.id, { actualValue: 3, ...periodOf(lastMonth) }, world.tokens.teamManager);
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await measurementsOf(other.id)).toEqual([]);

    const own = await manualAssignment({ user: world.users.teamManager, definition });
    const self = await record(own.id, { actualValue: 3, ...periodOf(lastMonth) }, world.tokens.teamManager);
    expect(self.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await measurementsOf(own.id)).toEqual([]);

    const byUser = await manualAssignment();
    const userSelf = await record(byUser.id, { actualValue: 3, ...periodOf(lastMonth) }, world.tokens.user);
    expect(userSelf.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await measurementsOf(byUser.id)).toEqual([]);
  });

  it("records a month far in the past, creating its partition, when the assignment covers it", async () => {
    const user = await buildUser(db());
    const assignment = await manualAssignment({ user, startDate: "2019-01-01", endDate: "2019-12-31" });
    const res = await record(assignment.id, { actualValue: 2, periodStart: "2019-03-01", periodEnd: "2019-04-01" }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.recordMeasurement).toMatchObject({ periodStart: "2019-03-01", actualValue: 2, achievementPercentage: 50 });
    const { rows } = await server.database.pool.query<{ partition: string; actual: string }>(
      `SELECT tableoid::regclass::text AS partition, actual_value AS actual FROM kpi_measurements WHERE user_kpi_id = $1`,
      [assignment.id],
    );
    expect(rows).toEqual([{ partition: "kpi_measurements_y2019m03", actual: "2.00" }]);
  });
});

function periodOf(period: { start: string; end: string }) {
  return { periodStart: period.start, periodEnd: period.end };
}
