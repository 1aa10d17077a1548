import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import { kpiDefinitions, type UserKpiRow, type UserRow } from "../../src/db/schema/index.js";
import { addDays, todayIn } from "../../src/scoring/periods.js";
import { buildAssignment, buildDefinition, buildMeasurement, buildSnapshot, buildTeam, buildUser } from "../helpers/factories.js";
import { startServerWithRoles } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let admin: string;

beforeAll(async () => {
  ({ server, admin } = await startServerWithRoles({ KPI_TIMEZONE: "UTC" }));
  // The measurements below use fixed months of 2025 and 2026; make sure their partitions exist
  // whatever today is.
  await ensureMeasurementPartitions(server.database.db, "2025-01-01", "2026-12-01");
});
afterAll(() => server?.stop());

/** Today as the server sees it (KPI_TIMEZONE=UTC). */
const today = () => todayIn("UTC");

/** A monthly measurement of `month` ("YYYY-MM"). */
async function measure(assignment: UserKpiRow, month: string, actual: number, achievement: number | null) {
  await buildMeasurement(server.database.db, {
    assignment,
    periodStart: `${month}-01`,
    actualValue: actual,
    achievementPercentage: achievement,
  });
}

async function gqlOk(query: string, variables: Record<string, unknown> = {}, token: string | null = admin) {
  const res = await server.gql(query, variables, token);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

const ids = (rows: Array<{ id: string | number }>) => rows.map((row) => String(row.id)).sort();

describe("User.kpis", () => {
  const QUERY = `query($id: ID!) {
    user(id: $id) {
      active: kpis { id isActive endDate kpiDefinition { id } }
      all: kpis(activeOnly: false) { id }
      explicit: kpis(activeOnly: true) { id }
    }
  }`;

  it("by default returns only active assignments; activeOnly: false returns all", async () => {
    const db = server.database.db;
    const user = await buildUser(db);
    const d = Object.fromEntries(
      await Promise.all(
        ["open", "switchedOff", "archived", "endedYesterday", "endsToday", "future", "endsTomorrow"].map(
          async (key) => [key, await buildDefinition(db)] as const,
        ),
      ),
    );
    await db.update(kpiDefinitions).set({ isActive: false }).where(eq(kpiDefinitions.id, d.archived!.id));

    const t = today();
    const a = {
      open: await buildAssignment(db, { user, definition: d.open! }),
      switchedOff: await buildAssignment(db, { user, definition: d.switchedOff!, isActive: false }),
      archived: await buildAssignment(db, { user, definition: d.archived! }),
      endedYesterday: await buildAssignment(db, {
        user,
        definition: d.endedYesterday!,
        startDate: addDays(t, -30),
        endDate: addDays(t, -1),
      }),
      endsToday: await buildAssignment(db, { user, definition: d.endsToday!, startDate: addDays(t, -30), endDate: t }),
      future: await buildAssignment(db, { user, definition: d.future!, startDate: addDays(t, 10), endDate: addDays(t, 40) }),
      endsTomorrow: await buildAssignment(db, {
        user,
        definition: d.endsTomorrow!,
        startDate: addDays(t, -30),
        endDate: addDays(t, 1),
      }),
    };

    const data = await gqlOk(QUERY, { id: String(user.id) });
    const active = [a.open, a.endsToday, a.future, a.endsTomorrow];
    expect(ids(data.user.active)).toEqual(ids(active));
    expect(ids(data.user.explicit)).toEqual(ids(active));
    expect(ids(data.user.all)).toEqual(ids(Object.values(a)));
    const endingToday = data.user.active.find((row: { id: string }) => row.id === String(a.endsToday.id));
    expect(endingToday).toEqual({
      id: String(a.endsToday.id),
      isActive: true,
      endDate: t,
      kpiDefinition: { id: String(d.endsToday!.id) },
    });
  });

  it("is empty for a user without assignments", async () => {
    const user = await buildUser(server.database.db);
    const data = await gqlOk(QUERY, { id: String(user.id) });
    expect(data.user).toEqual({ active: [], all: [], explicit: [] });
  });
});

describe("UserKpi.currentMeasurement, trend and history", () => {
  let user: UserRow;
  let measured: UserKpiRow;
  let other: UserKpiRow;
  let empty: UserKpiRow;
  // March to October 2026, inserted out of order: actual = month × 10, achievement = month × 10 + 0.5.
  const MONTHS = ["2026-05", "2026-10", "2026-03", "2026-08", "2026-06", "2026-09", "2026-04", "2026-07"];

  beforeAll(async () => {
    const db = server.database.db;
    user = await buildUser(db);
    measured = await buildAssignment(db, { user, targetValue: 90 });
    other = await buildAssignment(db, { user });
    empty = await buildAssignment(db, { user });
    for (const month of MONTHS) {
      const m = Number(month.slice(5));
      await measure(measured, month, m * 10, m * 10 + 0.5);
    }
    // Another assignment of the same user, with a later period: must not leak into `measured`.
    await measure(other, "2026-11", 999, 1);
    await measure(other, "2026-02", 5, 2);
  });

  const query = (fields: string) => `query($id: ID!) { userKpi(id: $id) { ${fields} } }`;
  const starts = (rows: Array<{ periodStart: string }>) => rows.map((row) => row.periodStart);

  it("currentMeasurement is the measurement of the latest period", async () => {
    const data = await gqlOk(
      query("currentMeasurement { periodStart periodEnd actualValue targetValue achievementPercentage }"),
      { id: String(measured.id) },
    );
    expect(data.userKpi.currentMeasurement).toEqual({
      periodStart: "2026-10-01",
      periodEnd: "2026-11-01",
      actualValue: 100,
      targetValue: 90,
      achievementPercentage: 100.5,
    });
    const otherData = await gqlOk(query("currentMeasurement { periodStart actualValue }"), { id: String(other.id) });
    expect(otherData.userKpi.currentMeasurement).toEqual({ periodStart: "2026-11-01", actualValue: 999 });
    const none = await gqlOk(query("currentMeasurement { id } trend { id } history { id }"), { id: String(empty.id) });
    expect(none.userKpi).toEqual({ currentMeasurement: null, trend: [], history: [] });
  });

  it("trend returns the latest periods oldest first, 6 by default", async () => {
    const data = await gqlOk(
      query(
        "three: trend(periods: 3) { periodStart actualValue } six: trend { periodStart } sixty: trend(periods: 60) { periodStart }",
      ),
      { id: String(measured.id) },
    );
    expect(data.userKpi.three).toEqual([
      { periodStart: "2026-08-01", actualValue: 80 },
      { periodStart: "2026-09-01", actualValue: 90 },
      { periodStart: "2026-10-01", actualValue: 100 },
    ]);
    expect(starts(data.userKpi.six)).toEqual([
      "2026-05-01",
      "2026-06-01",
      "2026-07-01",
      "2026-08-01",
      "2026-09-01",
      "2026-10-01",
    ]);
    expect(starts(data.userKpi.sixty)).toEqual(MONTHS.map((month) => `${month}-01`).sort());
  });

  it("trend and history of several assignments in one request keep each assignment's own rows", async () => {
    const data = await gqlOk(
      `query($id: ID!) { user(id: $id) { kpis { id trend(periods: 2) { periodStart } history(limit: 1) { periodStart } } } }`,
      { id: String(user.id) },
    );
    const byId = new Map(data.user.kpis.map((kpi: { id: string }) => [kpi.id, kpi]));
    expect(byId.get(String(measured.id))).toMatchObject({
      trend: [{ periodStart: "2026-09-01" }, { periodStart: "2026-10-01" }],
      history: [{ periodStart: "2026-10-01" }],
    });
    expect(byId.get(String(other.id))).toMatchObject({
      trend: [{ periodStart: "2026-02-01" }, { periodStart: "2026-11-01" }],
      history: [{ periodStart: "2026-11-01" }],
    });
    expect(byId.get(String(empty.id))).toMatchObject({ trend: [], history: [] });
  });

  for (const periods of [61, 0, -1]) {
    it(`trend(periods: ${periods}) is BAD_USER_INPUT naming periods`, async () => {
      const res = await server.gql(query(`trend(periods: ${periods}) { id }`), { id: String(measured.id) }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message).toMatch(/periods/);
    });
  }

  it("history is newest first within [from, to) by periodStart, and respects limit", async () => {
    const data = await gqlOk(
      query(`
        window: history(from: "2026-04-01", to: "2026-09-01") { periodStart periodEnd actualValue }
        limited: history(from: "2026-04-01", to: "2026-09-01", limit: 2) { periodStart }
        all: history { periodStart }
        fromOnly: history(from: "2026-09-15") { periodStart }
        toOnly: history(to: "2026-04-01") { periodStart }
        max: history(limit: 1000) { periodStart }`),
      { id: String(measured.id) },
    );
    expect(data.userKpi.window).toEqual([
      { periodStart: "2026-08-01", periodEnd: "2026-09-01", actualValue: 80 },
      { periodStart: "2026-07-01", periodEnd: "2026-08-01", actualValue: 70 },
      { periodStart: "2026-06-01", periodEnd: "2026-07-01", actualValue: 60 },
      { periodStart: "2026-05-01", periodEnd: "2026-06-01", actualValue: 50 },
      { periodStart: "2026-04-01", periodEnd: "2026-05-01", actualValue: 40 },
    ]);
    expect(starts(data.userKpi.limited)).toEqual(["2026-08-01", "2026-07-01"]);
    const newestFirst = MONTHS.map((month) => `${month}-01`)
      .sort()
      .reverse();
    expect(starts(data.userKpi.all)).toEqual(newestFirst);
    expect(starts(data.userKpi.max)).toEqual(newestFirst);
    expect(starts(data.userKpi.fromOnly)).toEqual(["2026-10-01"]);
    expect(starts(data.userKpi.toOnly)).toEqual(["2026-03-01"]);
  });

  it("history refuses limit 1001 (or 0) and a `to` not after `from`", async () => {
    const run = (args: string) => server.gql(query(`history(${args}) { id }`), { id: String(measured.id) }, admin);
    for (const args of ["limit: 1001", "limit: 0"]) {
      const res = await run(args);
      expect(res.errors?.[0]?.extensions?.code, args).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message, args).toMatch(/limit/);
    }
    for (const args of [`from: "2026-09-01", to: "2026-04-01"`, `from: "2026-09-01", to: "2026-09-01"`]) {
      const res = await run(args);
      expect(res.errors?.[0]?.extensions?.code, args).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message, args).toMatch(/\bto\b/);
    }
  });
});

describe("User.overallScore", () => {
  const QUERY = `query($id: ID!) { user(id: $id) { overallScore } }`;

  it("is the weighted average of the latest achievements of active KPIs, each capped at SCORE_CAP (150)", async () => {
    const db = server.database.db;
    const user = await buildUser(db);
    const t = today();
    const first = await buildAssignment(db, { user, weight: 60 });
    const second = await buildAssignment(db, { user, weight: 40 });
    // Measured never: ignored.
    await buildAssignment(db, { user, weight: 50 });
    // Not active: ignored although measured.
    const off = await buildAssignment(db, { user, weight: 100, isActive: false });
    const ended = await buildAssignment(db, { user, weight: 100, startDate: addDays(t, -400), endDate: addDays(t, -1) });

    await measure(first, "2026-08", 1, 10);
    await measure(first, "2026-09", 100, 100);
    await measure(second, "2026-07", 1, 0);
    await measure(second, "2026-09", 300, 300);
    await measure(off, "2026-09", 0, 0);
    await measure(ended, "2026-09", 0, 0);

    // (60 × 100 + 40 × min(300, 150)) / (60 + 40) = 120
    const data = await gqlOk(QUERY, { id: String(user.id) });
    expect(data.user.overallScore).toBe(120);

    // Another cap: (60 × 100 + 40 × 200) / 100 = 140.
    const capped = await startTestServer({ KPI_TIMEZONE: "UTC", SCORE_CAP: "200" });
    try {
      const token = await capped.jwt.sign(user);
      const res = await capped.gql(`{ me { overallScore } }`, {}, token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.me.overallScore).toBe(140);
    } finally {
      await capped.stop();
    }
  });

  it("rounds to two decimals", async () => {
    const db = server.database.db;
    const user = await buildUser(db);
    await measure(await buildAssignment(db, { user, weight: 1 }), "2026-10", 1, 100);
    await measure(await buildAssignment(db, { user, weight: 2 }), "2026-10", 1, 0);
    const data = await gqlOk(QUERY, { id: String(user.id) });
    expect(data.user.overallScore).toBe(33.33);
  });

  it("is null for a user without measurements, with or without assignments", async () => {
    const db = server.database.db;
    const nothing = await buildUser(db);
    const unmeasured = await buildUser(db);
    await buildAssignment(db, { user: unmeasured, weight: 100 });
    for (const user of [nothing, unmeasured]) {
      const data = await gqlOk(QUERY, { id: String(user.id) });
      expect(data.user.overallScore).toBeNull();
    }
  });
});

describe("User.snapshots", () => {
  const QUERY = `query($id: ID!, $from: Date, $to: Date) {
    user(id: $id) { snapshots(from: $from, to: $to) { snapshotDate overallScore kpiScores } }
  }`;

  it("returns the snapshots dated within [from, to), oldest first", async () => {
    const db = server.database.db;
    const user = await buildUser(db);
    const someoneElse = await buildUser(db);
    await buildSnapshot(db, { user, snapshotDate: "2026-11-03", overallScore: 83.5, kpiScores: { a: 3 } });
    await buildSnapshot(db, { user, snapshotDate: "2026-11-01", overallScore: 81, kpiScores: { a: 1 } });
    await buildSnapshot(db, { user, snapshotDate: "2026-11-05", overallScore: null, kpiScores: {} });
    await buildSnapshot(db, { user, snapshotDate: "2026-11-02", overallScore: 82.25, kpiScores: { a: 2 } });
    await buildSnapshot(db, { user: someoneElse, snapshotDate: "2026-11-02", overallScore: 1, kpiScores: {} });

    const window = await gqlOk(QUERY, { id: String(user.id), from: "2026-11-02", to: "2026-11-05" });
    expect(window.user.snapshots).toEqual([
      { snapshotDate: "2026-11-02", overallScore: 82.25, kpiScores: { a: 2 } },
      { snapshotDate: "2026-11-03", overallScore: 83.5, kpiScores: { a: 3 } },
    ]);
    const all = await gqlOk(QUERY, { id: String(user.id) });
    expect(all.user.snapshots.map((s: { snapshotDate: string }) => s.snapshotDate)).toEqual([
      "2026-11-01",
      "2026-11-02",
      "2026-11-03",
      "2026-11-05",
    ]);
    expect(all.user.snapshots[3]).toEqual({ snapshotDate: "2026-11-05", overallScore: null, kpiScores: {} });
    const none = await gqlOk(QUERY, { id: String(user.id), from: "2026-11-06" });
    expect(none.user.snapshots).toEqual([]);

    const bad = await server.gql(QUERY, { id: String(user.id), from: "2026-11-05", to: "2026-11-02" }, admin);
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(bad.errors?.[0]?.message).toMatch(/\bto\b/);
  });
});

describe("Team members and averages", () => {
  const QUERY = `query($id: ID!) {
    team(id: $id) {
      members { user { id } overallScore kpis { id kpiDefinition { id } } }
      averages {
        overallScore
        kpiAverages { kpiDefinition { id } memberCount averageActualValue averageAchievementPercentage }
      }
    }
  }`;

  it("averages each KPI over the members measured in its latest period, and the members' overall scores", async () => {
    const db = server.database.db;
    const [u1, u2, u3, u4] = await Promise.all([buildUser(db), buildUser(db), buildUser(db), buildUser(db)]);
    const outsider = await buildUser(db);
    const team = await buildTeam(db, { members: [u1!, u2!, u3!, u4!] });
    const [shared, onlyU2, unmeasured, switchedOff] = await Promise.all([
      buildDefinition(db),
      buildDefinition(db),
      buildDefinition(db),
      buildDefinition(db),
    ]);

    // The shared KPI: u1 and u2 latest in 2026-10, u3 only in 2026-09.
    const a1 = await buildAssignment(db, { user: u1!, definition: shared!, weight: 50 });
    const a2 = await buildAssignment(db, { user: u2!, definition: shared!, weight: 50 });
    const a3 = await buildAssignment(db, { user: u3!, definition: shared!, weight: 50 });
    await measure(a1, "2026-09", 10, 10);
    await measure(a1, "2026-10", 80.5, 80.5);
    await measure(a2, "2026-10", 120, 120);
    await measure(a3, "2026-09", 50, 50);
    // A second KPI for u2 only.
    const b2 = await buildAssignment(db, { user: u2!, definition: onlyU2!, weight: 50 });
    await measure(b2, "2026-10", 6, 60);
    // A KPI without measurements in the team: no average at all.
    const c1 = await buildAssignment(db, { user: u1!, definition: unmeasured!, weight: 100 });
    // An inactive assignment with a measurement: neither in the averages nor in the scores.
    const d3 = await buildAssignment(db, { user: u3!, definition: switchedOff!, weight: 100, isActive: false });
    await measure(d3, "2026-10", 0, 0);
    // Someone outside the team with the shared KPI in a later period: not part of this team.
    await measure(await buildAssignment(db, { user: outsider, definition: shared! }), "2026-11", 1000, 999);

    const data = await gqlOk(QUERY, { id: String(team.id) });
    const members = new Map(data.team.members.map((member: { user: { id: string } }) => [member.user.id, member]));
    expect(members.size).toBe(4);
    // u1: 80.5 (the unmeasured KPI is ignored); u2: (50 × 120 + 50 × 60) / 100 = 90; u3: 50; u4: none.
    expect(members.get(String(u1!.id))).toMatchObject({ overallScore: 80.5 });
    expect(ids((members.get(String(u1!.id)) as { kpis: Array<{ id: string }> }).kpis)).toEqual(ids([a1, c1]));
    expect(members.get(String(u2!.id))).toMatchObject({ overallScore: 90 });
    expect(ids((members.get(String(u2!.id)) as { kpis: Array<{ id: string }> }).kpis)).toEqual(ids([a2, b2]));
    expect(members.get(String(u3!.id))).toMatchObject({ overallScore: 50, kpis: [{ id: String(a3.id) }] });
    expect(members.get(String(u4!.id))).toMatchObject({ overallScore: null, kpis: [] });

    // (80.5 + 90 + 50) / 3 = 73.5; u4 is left out.
    expect(data.team.averages.overallScore).toBe(73.5);
    const averages = [...data.team.averages.kpiAverages].sort(
      (x: { kpiDefinition: { id: string } }, y: { kpiDefinition: { id: string } }) =>
        Number(x.kpiDefinition.id) - Number(y.kpiDefinition.id),
    );
    expect(averages).toEqual(
      [
        {
          kpiDefinition: { id: String(shared!.id) },
          memberCount: 2,
          averageActualValue: 100.25,
          averageAchievementPercentage: 100.25,
        },
        { kpiDefinition: { id: String(onlyU2!.id) }, memberCount: 1, averageActualValue: 6, averageAchievementPercentage: 60 },
      ].sort((x, y) => Number(x.kpiDefinition.id) - Number(y.kpiDefinition.id)),
    );
  });

  it("a team whose members have no measurements has no scores and no averages", async () => {
    const db = server.database.db;
    const member = await buildUser(db);
    await buildAssignment(db, { user: member });
    const team = await buildTeam(db, { members: [member] });
    const data = await gqlOk(QUERY, { id: String(team.id) });
    expect(data.team.averages).toEqual({ overallScore: null, kpiAverages: [] });
    expect(data.team.members).toMatchObject([{ user: { id: String(member.id) }, overallScore: null }]);
  });
});
