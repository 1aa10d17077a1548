import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KpiDefinitionRow, UserKpiRow } from "../../src/db/schema/index.js";
import { periodContaining, shiftPeriod, todayIn, type Period } from "../../src/scoring/periods.js";
import { CREATE, definitionInput } from "../helpers/calculation.js";
import { buildAssignment, buildDefinition, buildMeasurement, buildSnapshot, buildTeam, buildUser } from "../helpers/factories.js";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * Forecasts, comparisons and team trends over HTTP, on measurements and snapshots written straight
 * to the database, relative to the server's today (UTC) so that the figures hold on any day.
 */

let server: TestServer;
let world: RoleWorld;
let admin: string;
let deals: KpiDefinitionRow; // additive: a count
let rate: KpiDefinitionRow; // an average
let dealsAssignment: UserKpiRow;
let rateAssignment: UserKpiRow;

const today = () => todayIn("UTC");
const current = (): Period => periodContaining("monthly", today());
const monthsBack = (n: number): Period => shiftPeriod("monthly", current(), -n);
const DAY_MS = 86_400_000;

const INSIGHTS = `query($id: ID!, $periods: Int) { userKpi(id: $id) {
  forecast { periodStart periodEnd method projectedValue projectedAchievement onTrack explanation valueToDate elapsedDays periodDays
    points { offset periodStart value } slope intercept }
  comparison(periods: $periods) { periodStart actualValue achievementPercentage
    previous { periodStart periodEnd actualValue achievementPercentage valueChange valueChangePercent achievementChange }
    samePeriodLastYear { periodStart actualValue valueChange valueChangePercent achievementChange } }
} }`;

beforeAll(async () => {
  server = await startTestServer({ KPI_TIMEZONE: "UTC" });
  world = await createRoleWorld(server);
  admin = world.tokens.admin!;
  const db = server.database.db;
  deals = await buildDefinition(db, { unit: "count", additive: true, calculationType: "manual" });
  rate = await buildDefinition(db, { unit: "%", additive: false, calculationType: "manual" });
  dealsAssignment = await buildAssignment(db, { user: world.users.user, definition: deals, targetValue: 30 });
  rateAssignment = await buildAssignment(db, { user: world.users.user, definition: rate, targetValue: 12 });
  // Deals: 5 so far this month (calculated 12 hours into it), 24 last month, 20 the month before, 10 a year ago.
  await buildMeasurement(db, {
    assignment: dealsAssignment,
    periodStart: current().start,
    actualValue: 5,
    calculatedAt: new Date(Date.parse(`${current().start}T12:00:00Z`)),
  });
  await buildMeasurement(db, { assignment: dealsAssignment, periodStart: monthsBack(1).start, actualValue: 24 });
  await buildMeasurement(db, { assignment: dealsAssignment, periodStart: monthsBack(2).start, actualValue: 20 });
  await buildMeasurement(db, { assignment: dealsAssignment, periodStart: monthsBack(12).start, actualValue: 10 });
  // Rate: 10, 12, 11 over the three months before this one: least squares gives 12 now.
  await buildMeasurement(db, { assignment: rateAssignment, periodStart: monthsBack(3).start, actualValue: 10 });
  await buildMeasurement(db, { assignment: rateAssignment, periodStart: monthsBack(2).start, actualValue: 12 });
  await buildMeasurement(db, { assignment: rateAssignment, periodStart: monthsBack(1).start, actualValue: 11 });
}, 60_000);

afterAll(() => server?.stop());

async function insights(assignment: UserKpiRow, periods?: number, token = admin) {
  const res = await server.gql(INSIGHTS, { id: String(assignment.id), periods }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.userKpi;
}

describe("UserKpi.forecast", () => {
  it("projects an additive KPI linearly from its period-to-date value", async () => {
    const { forecast } = await insights(dealsAssignment);
    const days = (Date.parse(current().end) - Date.parse(current().start)) / DAY_MS;
    expect(forecast).toMatchObject({
      periodStart: current().start,
      periodEnd: current().end,
      method: "LINEAR_PROJECTION",
      valueToDate: 5,
      elapsedDays: 0.5,
      periodDays: days,
      projectedValue: days * 10, // 5 in half a day
      onTrack: true,
      points: [],
      slope: null,
    });
    expect(forecast.projectedAchievement).toBeCloseTo(Math.min(999.99, ((days * 10) / 30) * 100), 2);
    expect(forecast.explanation).toBe(`5 in 0.5 of ${days} days, scaled to the whole period.`);
  });

  it("projects an average by the least-squares trend of the last periods", async () => {
    const { forecast } = await insights(rateAssignment);
    expect(forecast).toMatchObject({
      method: "LEAST_SQUARES_TREND",
      slope: 0.5,
      intercept: 12,
      projectedValue: 12,
      projectedAchievement: 100,
      onTrack: true,
      valueToDate: null,
      points: [
        { offset: -1, periodStart: monthsBack(1).start, value: 11 },
        { offset: -2, periodStart: monthsBack(2).start, value: 12 },
        { offset: -3, periodStart: monthsBack(3).start, value: 10 },
      ],
    });
  });

  it("is null for an assignment that ended before the current period", async () => {
    const ended = await buildAssignment(server.database.db, { user: world.users.user, targetValue: 5 });
    await server.database.pool.query("UPDATE user_kpis SET end_date = $2 WHERE id = $1", [ended.id, monthsBack(1).start]);
    expect((await insights(ended)).forecast).toBeNull();
  });
});

describe("UserKpi.comparison", () => {
  it("compares the latest period with the ones before it and the same period last year", async () => {
    const { comparison } = await insights(dealsAssignment, 2);
    expect(comparison).toEqual({
      periodStart: current().start,
      actualValue: 5,
      achievementPercentage: 16.67,
      previous: [
        {
          periodStart: monthsBack(1).start,
          periodEnd: monthsBack(1).end,
          actualValue: 24,
          achievementPercentage: 80,
          valueChange: -19,
          valueChangePercent: -79.1667,
          achievementChange: -63.33,
        },
        {
          periodStart: monthsBack(2).start,
          periodEnd: monthsBack(2).end,
          actualValue: 20,
          achievementPercentage: 66.67,
          valueChange: -15,
          valueChangePercent: -75,
          achievementChange: -50,
        },
      ],
      samePeriodLastYear: {
        periodStart: monthsBack(12).start,
        actualValue: 10,
        valueChange: -5,
        valueChangePercent: -50,
        achievementChange: -16.66,
      },
    });
  });

  it("lists a period without a measurement with empty changes", async () => {
    const { comparison } = await insights(rateAssignment, 4);
    expect(comparison.previous.map((p: { actualValue: number | null }) => p.actualValue)).toEqual([12, 10, null, null]);
    expect(comparison.previous[2]).toMatchObject({ valueChange: null, valueChangePercent: null, achievementChange: null });
    expect(comparison.samePeriodLastYear).toMatchObject({ actualValue: null, valueChange: null });
  });

  it("is null before any measurement, and refuses periods outside 1 to 12", async () => {
    const unmeasured = await buildAssignment(server.database.db, { user: world.users.user, targetValue: 5 });
    expect((await insights(unmeasured)).comparison).toBeNull();
    for (const periods of [0, 13]) {
      const res = await server.gql(INSIGHTS, { id: String(dealsAssignment.id), periods }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
  });

  it("shows the user their own figures, and another user nothing", async () => {
    expect((await insights(dealsAssignment, 1, world.tokens.user!)).comparison.actualValue).toBe(5);
    const res = await server.gql(INSIGHTS, { id: String(dealsAssignment.id) }, world.tokens.otherUser);
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("Team.trend", () => {
  const TREND = `query($id: ID!, $periods: Int, $by: AggregationPeriod) {
    team(id: $id) { trend(periods: $periods, aggregationPeriod: $by) { periodStart periodEnd averageOverallScore membersWithScore } }
  }`;

  it("averages each member's latest snapshot per period, oldest first, with empty periods listed", async () => {
    const db = server.database.db;
    const [ann, ben, cid] = await Promise.all([buildUser(db), buildUser(db), buildUser(db)]);
    const team = await buildTeam(db, { members: [ann!, ben!, cid!] });
    const lastMonth = monthsBack(1);
    const day = (period: Period, n: number) => new Date(Date.parse(period.start) + n * DAY_MS).toISOString().slice(0, 10);
    await buildSnapshot(db, { user: ann!, snapshotDate: day(lastMonth, 0), overallScore: 50 }); // superseded by the later one
    await buildSnapshot(db, { user: ann!, snapshotDate: day(lastMonth, 20), overallScore: 80 });
    await buildSnapshot(db, { user: ben!, snapshotDate: day(lastMonth, 5), overallScore: 90 });
    await buildSnapshot(db, { user: ann!, snapshotDate: current().start, overallScore: 70 }); // this month so far
    const res = await server.gql(TREND, { id: String(team.id), periods: 3 }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.team.trend).toEqual([
      { periodStart: monthsBack(2).start, periodEnd: monthsBack(2).end, averageOverallScore: null, membersWithScore: 0 },
      { periodStart: lastMonth.start, periodEnd: lastMonth.end, averageOverallScore: 85, membersWithScore: 2 },
      { periodStart: current().start, periodEnd: current().end, averageOverallScore: 70, membersWithScore: 1 },
    ]);
    const weekly = await server.gql(TREND, { id: String(team.id), periods: 2, by: "WEEKLY" }, admin);
    expect(weekly.data!.team.trend.map((p: { periodStart: string }) => p.periodStart)).toEqual([
      shiftPeriod("weekly", periodContaining("weekly", today()), -1).start,
      periodContaining("weekly", today()).start,
    ]);
  });

  it("lists the periods of a team without members, without scores", async () => {
    const empty = await buildTeam(server.database.db);
    const res = await server.gql(TREND, { id: String(empty.id), periods: 2 }, admin);
    expect(res.data!.team.trend).toEqual([
      { periodStart: monthsBack(1).start, periodEnd: monthsBack(1).end, averageOverallScore: null, membersWithScore: 0 },
      { periodStart: current().start, periodEnd: current().end, averageOverallScore: null, membersWithScore: 0 },
    ]);
  });

  it("follows the team's averages rule: members, their manager and admins; FORBIDDEN to others", async () => {
    for (const role of ["user", "teamManager", "admin"] as const) {
      const res = await server.gql(TREND, { id: String(world.team.id), periods: 1 }, world.tokens[role]);
      expect(res.errors, role).toBeUndefined();
    }
    for (const role of ["otherUser", "otherManager"] as const) {
      const res = await server.gql(TREND, { id: String(world.team.id), periods: 1 }, world.tokens[role]);
      expect(res.errors?.[0]?.extensions?.code, role).toBe("FORBIDDEN");
    }
    const bad = await server.gql(TREND, { id: String(world.team.id), periods: 61 }, admin);
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("KpiDefinition.additive", () => {
  it("defaults from the unit and can be set", async () => {
    const create = async (overrides: Record<string, unknown>) => {
      const res = await server.gql(
        CREATE.replace("dataSource }", "dataSource additive unit }"),
        { input: definitionInput("MANUAL", { type: "manual" }, overrides) },
        admin,
      );
      expect(res.errors).toBeUndefined();
      return res.data!.createKpiDefinition;
    };
    expect(await create({ unit: "count" })).toMatchObject({ additive: true });
    expect(await create({ unit: "EUR" })).toMatchObject({ additive: true });
    expect(await create({ unit: "%" })).toMatchObject({ additive: false });
    expect(await create({ unit: "hours", additive: true })).toMatchObject({ additive: true });
    expect(await create({ unit: "count", additive: false })).toMatchObject({ additive: false });
  });
});
