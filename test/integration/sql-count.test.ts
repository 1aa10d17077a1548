import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import type { KpiDefinitionRow, UserRow } from "../../src/db/schema/index.js";
import { buildDefinition, buildTeam, buildUser, unique } from "../helpers/factories.js";
import { startTestServer, type GraphQLResponse, type TestServer } from "../helpers/server.js";

/**
 * The N+1 guard: the SQL statements a dashboard query runs (x-sql-statements) must not grow with
 * the number of team members or assignments. Data is created set-based, one statement per table.
 */

let server: TestServer;
let admin: string;
let definitions: KpiDefinitionRow[];

/** The six months every assignment is measured in, oldest first. */
const MONTHS = ["2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"];

beforeAll(async () => {
  server = await startTestServer({ SQL_STATEMENT_HEADER: "true", KPI_TIMEZONE: "UTC" });
  const db = server.database.db;
  await ensureMeasurementPartitions(db, MONTHS[0]!, MONTHS.at(-1)!);
  admin = await server.jwt.sign(await buildUser(db, { role: "admin" }));
  definitions = await Promise.all([0, 1, 2, 3].map(() => buildDefinition(db)));
});
afterAll(() => server?.stop());

/** `count` users created with one INSERT. */
async function createUsers(count: number): Promise<number[]> {
  const prefix = unique("bulk");
  const result = await server.database.pool.query<{ id: number }>(
    `INSERT INTO users (name, email, role)
     SELECT $1 || '-' || lpad(g::text, 3, '0'), $1 || '-' || g || '@test.example', 'user'
     FROM generate_series(1, $2::int) g
     RETURNING id`,
    [prefix, count],
  );
  return result.rows.map((row) => row.id);
}

/** Each user gets an active assignment of each definition, measured in each of MONTHS (one statement per table). */
async function assignAndMeasure(userIds: number[], definitionIds: number[]): Promise<void> {
  const pool = server.database.pool;
  const assignments = await pool.query<{ id: number }>(
    `INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date)
     SELECT u, d, 100, 25, '2025-01-01' FROM unnest($1::int[]) u CROSS JOIN unnest($2::int[]) d
     RETURNING id`,
    [userIds, definitionIds],
  );
  expect(assignments.rowCount).toBe(userIds.length * definitionIds.length);
  const measurements = await pool.query(
    `INSERT INTO kpi_measurements (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage)
     SELECT uk, m::date, (m + interval '1 month')::date, 50 + i * 10 + uk % 7, 100, 50 + i * 10 + uk % 7
     FROM unnest($1::int[]) uk CROSS JOIN unnest($2::date[]) WITH ORDINALITY AS months(m, i)`,
    [assignments.rows.map((row) => row.id), MONTHS],
  );
  expect(measurements.rowCount).toBe(assignments.rowCount! * MONTHS.length);
}

async function buildMeasuredTeam(size: number) {
  const userIds = await createUsers(size);
  const team = await buildTeam(server.database.db);
  await server.database.pool.query(`INSERT INTO team_members (team_id, user_id) SELECT $1, unnest($2::int[])`, [
    team.id,
    userIds,
  ]);
  await assignAndMeasure(
    userIds,
    definitions.map((definition) => definition.id),
  );
  return { team, userIds };
}

function statements(res: GraphQLResponse): number {
  expect(res.errors).toBeUndefined();
  const header = res.headers.get("x-sql-statements");
  expect(header).toMatch(/^\d+$/);
  return Number(header);
}

const DASHBOARD = `query($id: ID!) {
  team(id: $id) {
    name
    averages {
      overallScore
      kpiAverages { kpiDefinition { name } memberCount averageAchievementPercentage }
    }
    members {
      user { id name email }
      overallScore
      kpis {
        id weight targetValue
        kpiDefinition { name unit }
        currentMeasurement { periodStart actualValue achievementPercentage }
        trend(periods: 6) { periodStart actualValue }
      }
    }
  }
}`;

describe("SQL statements per request", () => {
  it("the team dashboard runs the same small number of statements for 5 and for 50 members", async () => {
    const small = await buildMeasuredTeam(5);
    const large = await buildMeasuredTeam(50);
    const definitionNames = definitions.map((definition) => definition.name).sort();

    const counts: number[] = [];
    for (const { team, userIds } of [small, large]) {
      const res = await server.gql(DASHBOARD, { id: String(team.id) }, admin);
      counts.push(statements(res));
      const data = res.data!.team;
      expect(data.name).toBe(team.name);
      expect(data.members).toHaveLength(userIds.length);
      expect(
        data.members.map((member: { user: { id: string } }) => Number(member.user.id)).sort((a: number, b: number) => a - b),
      ).toEqual([...userIds].sort((a, b) => a - b));
      for (const member of data.members) {
        expect(member.user.email).toMatch(/@test\.example$/);
        expect(member.overallScore).toEqual(expect.any(Number));
        expect(member.kpis).toHaveLength(4);
        expect(member.kpis.map((kpi: { kpiDefinition: { name: string } }) => kpi.kpiDefinition.name).sort()).toEqual(
          definitionNames,
        );
        for (const kpi of member.kpis) {
          expect(kpi).toMatchObject({ weight: 25, targetValue: 100, kpiDefinition: { unit: "score" } });
          expect(kpi.currentMeasurement.periodStart).toBe("2026-10-01");
          expect(kpi.currentMeasurement.actualValue).toBe(kpi.currentMeasurement.achievementPercentage);
          expect(kpi.trend.map((point: { periodStart: string }) => point.periodStart)).toEqual(MONTHS);
          // The last trend point is the current measurement.
          expect(kpi.trend[5].actualValue).toBe(kpi.currentMeasurement.actualValue);
        }
      }
      expect(data.averages.overallScore).toEqual(expect.any(Number));
      expect(data.averages.kpiAverages).toHaveLength(4);
      expect(
        data.averages.kpiAverages.map((average: { kpiDefinition: { name: string } }) => average.kpiDefinition.name).sort(),
      ).toEqual(definitionNames);
      for (const average of data.averages.kpiAverages) expect(average.memberCount).toBe(userIds.length);
    }

    expect(counts[1]).toBe(counts[0]);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[0]).toBeLessThanOrEqual(12);
  });

  it("forecasts, comparisons and the team trend run the same statements for 5 and for 50 members", async () => {
    const INSIGHTS = `query($id: ID!) {
      team(id: $id) {
        trend(periods: 6) { periodStart averageOverallScore }
        members { kpis { forecast { method projectedValue } comparison(periods: 2) { previous { valueChange } samePeriodLastYear { actualValue } } } }
      }
    }`;
    const counts: number[] = [];
    for (const size of [5, 50]) {
      const { team } = await buildMeasuredTeam(size);
      const res = await server.gql(INSIGHTS, { id: String(team.id) }, admin);
      counts.push(statements(res));
      expect(res.data!.team.trend).toHaveLength(6);
      for (const member of res.data!.team.members) {
        for (const kpi of member.kpis) {
          expect(kpi.comparison.previous).toHaveLength(2);
          expect(kpi.comparison.previous[0].valueChange).toEqual(expect.any(Number));
        }
      }
    }
    expect(counts[1]).toBe(counts[0]);
    expect(counts[0]).toBeLessThanOrEqual(12);
  });

  it("me { kpis { currentMeasurement trend } } runs the same statements with 1 and with 4 assignments", async () => {
    const ME = `{ me { kpis { currentMeasurement { actualValue } trend { actualValue } } } }`;
    const [one, four] = (await Promise.all([buildUser(server.database.db), buildUser(server.database.db)])) as [UserRow, UserRow];
    await assignAndMeasure([one.id], [definitions[0]!.id]);
    await assignAndMeasure(
      [four.id],
      definitions.map((definition) => definition.id),
    );

    const counts: number[] = [];
    for (const [user, assignments] of [
      [one, 1],
      [four, 4],
    ] as const) {
      const res = await server.gql(ME, {}, await server.jwt.sign(user));
      counts.push(statements(res));
      expect(res.data!.me.kpis).toHaveLength(assignments);
      for (const kpi of res.data!.me.kpis) {
        expect(kpi.currentMeasurement.actualValue).toEqual(expect.any(Number));
        expect(kpi.trend).toHaveLength(6);
        expect(kpi.trend[5].actualValue).toBe(kpi.currentMeasurement.actualValue);
      }
    }
    expect(counts[1]).toBe(counts[0]);
    expect(counts[0]).toBeGreaterThan(0);
  });

  it("counts each request's own statements when requests wait for pool connections", async () => {
    // Two connections for twelve concurrent requests: most get theirs from another request's release.
    // Without the response cache, whose hits would run fewer statements than the first request.
    const crowded = await startTestServer({ SQL_STATEMENT_HEADER: "true", DATABASE_POOL_MAX: "2", RESPONSE_CACHE_MB: "0" });
    try {
      const statements = async () => (await crowded.gql("{ me { id name } }", {}, admin)).headers.get("x-sql-statements");
      const alone = await statements();
      const together = await Promise.all(Array.from({ length: 12 }, statements));
      expect(Number(alone)).toBeGreaterThan(0);
      expect(together).toEqual(Array.from({ length: 12 }, () => alone));
    } finally {
      await crowded.stop();
    }
  });
});
