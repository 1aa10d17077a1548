import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { createDb, createPool } from "../../src/db/client.js";
import {
  alertRules,
  alerts,
  kpiDefinitions,
  kpiSnapshots,
  userKpis,
  type UserKpiRow,
  type UserRow,
} from "../../src/db/schema/index.js";
import { evaluateRule } from "../../src/modules/alert/alert-evaluator.js";
import { userKpisOfUsers } from "../../src/modules/assignment/assignment.store.js";
import { candidateAssignments } from "../../src/modules/run/run.store.js";
import { scoredAssignments } from "../../src/modules/score/score.store.js";
import { writeSnapshots } from "../../src/modules/score/snapshot.store.js";
import { buildDefinition, buildUser, unique } from "../helpers/factories.js";

/**
 * "Active assignment" is defined once (src/db/conditions.ts): the same flags everywhere, the user's
 * own flag only where the engine works, and one date question per use. One set of assignments, asked
 * by each of the five places that use it, pins which variant each one asks.
 */
const pool = createPool(inject("databaseUrl"), 2);
const db = createDb(pool);

// Far from today and from other files' data (the snapshot is written for every user in force that day).
const DAY = "2001-06-15";
// A monthly rule judged on DAY looks at May 2001: "startedInJune" is in force on DAY but has no May,
// "endedInMay" has a May but is over by DAY.
let user: UserRow;
let deactivated: UserRow;
let a: Record<"open" | "future" | "startedInJune" | "endedInMay" | "switchedOff" | "archived" | "ofDeactivated", UserKpiRow>;

beforeAll(async () => {
  user = await buildUser(db);
  deactivated = await buildUser(db, { isActive: false });
  const category = unique("active-assignment");
  const definition = () =>
    buildDefinition(db, { category, calculationType: "query", dataSource: { type: "database", query: "SELECT 1" } });
  const assign = async (
    owner: UserRow,
    terms: Partial<Pick<UserKpiRow, "startDate" | "endDate" | "isActive">> = {},
    archived = false,
  ) => {
    const kpi = await definition();
    if (archived) await db.update(kpiDefinitions).set({ isActive: false }).where(eq(kpiDefinitions.id, kpi.id));
    const [row] = await db
      .insert(userKpis)
      .values({ userId: owner.id, kpiDefinitionId: kpi.id, targetValue: 10, weight: 10, startDate: "2001-01-01", ...terms })
      .returning();
    return row!;
  };
  a = {
    open: await assign(user),
    future: await assign(user, { startDate: "2001-07-01" }),
    startedInJune: await assign(user, { startDate: "2001-06-10" }),
    endedInMay: await assign(user, { endDate: "2001-05-20" }),
    switchedOff: await assign(user, { isActive: false }),
    archived: await assign(user, {}, true),
    ofDeactivated: await assign(deactivated),
  };
});
afterAll(() => pool.end());

const ids = (rows: readonly { id: number }[]) => rows.map((row) => row.id).sort((x, y) => x - y);

describe("active assignment", () => {
  it("a user's KPIs and live score: assigned as of the day (a future one counts), whatever the user's own flag", async () => {
    const listed = await userKpisOfUsers(db, [user.id, deactivated.id], { activeOn: DAY });
    expect(ids(listed)).toEqual(ids([a.open, a.future, a.startedInJune, a.ofDeactivated]));
    const scored = await scoredAssignments(pool, [user.id, deactivated.id], DAY);
    expect(scored.filter((row) => row.userId === user.id)).toHaveLength(3);
    expect(scored.filter((row) => row.userId === deactivated.id)).toHaveLength(1);
  });

  it("a run's candidates: the flags, the user's included; dates are judged per period by the planner", async () => {
    const candidates = await candidateAssignments(pool, { userIds: [user.id, deactivated.id] });
    expect(candidates.map((c) => c.userKpiId).sort((x, y) => x - y)).toEqual(
      ids([a.open, a.future, a.startedInJune, a.endedInMay]),
    );
  });

  it("a snapshot: in force on its day, of active users only", async () => {
    await writeSnapshots(pool, DAY, 150);
    const rows = await db
      .select()
      .from(kpiSnapshots)
      .where(and(inArray(kpiSnapshots.userId, [user.id, deactivated.id]), eq(kpiSnapshots.snapshotDate, DAY)));
    expect(rows.map((row) => row.userId)).toEqual([user.id]);
    const kpis = Object.keys(rows[0]!.kpiScores as Record<string, unknown>).map(Number);
    expect(kpis.sort((x, y) => x - y)).toEqual([a.open.kpiDefinitionId, a.startedInJune.kpiDefinitionId].sort((x, y) => x - y));
  });

  it("an alert rule: overlapping the period judged, of active users only", async () => {
    const [rule] = await db
      .insert(alertRules)
      // Not active: other files' evaluations of every active rule must not see it.
      .values({ name: unique("rule"), kind: "missing_measurement", graceDays: 0, isActive: false })
      .returning();
    const { raised } = await evaluateRule(pool, rule!, DAY, [user.id, deactivated.id]);
    const raisedFor = await db.select({ userKpiId: alerts.userKpiId }).from(alerts).where(inArray(alerts.id, raised));
    expect(raisedFor.map((row) => row.userKpiId).sort((x, y) => x! - y!)).toEqual(ids([a.open, a.endedInMay]));
  });
});
