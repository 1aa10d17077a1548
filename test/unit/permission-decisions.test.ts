import { describe, expect, it } from "vitest";
import type { Viewer } from "../../src/auth/authenticate.js";
import type { UserRole } from "../../src/db/schema/index.js";
import { AppError } from "../../src/lib/errors.js";
import { Access } from "../../src/permissions/access.js";
import { maySeeFiguresOf, maySeeUser, mayViewTeam } from "../../src/permissions/decisions.js";
import {
  acknowledgeableAlert,
  alertScope,
  bulkAssignDecision,
  readableRun,
  refusal,
  runListScope,
  runRequestScope,
  userListScope,
} from "../../src/permissions/scopes.js";

/**
 * The row-level decisions of src/permissions/ (decisions.ts, scopes.ts) asked of an admin, a
 * manager and a user of one small organisation, without a database. The answers are snapshotted,
 * as the rule map is in permission-rules.test.ts, so that any change of who-can-do-what shows in review.
 *
 * Organisation: admin 1; manager 2 manages team 10 (members 2, 3, 4) and team 11 (member 5);
 * user 3 is in team 10; user 6 is in team 12, which nobody here manages. Assignment 100 is user 3's,
 * 101 user 6's, 102 the manager's own.
 */
const TEAMS: Record<number, { managerId: number | null; members: number[] }> = {
  10: { managerId: 2, members: [2, 3, 4] },
  11: { managerId: 2, members: [5] },
  12: { managerId: null, members: [6] },
};
const ASSIGNMENT_OWNERS: Record<number, number> = { 100: 3, 101: 6, 102: 2 };

const teamIdsWhere = (test: (team: (typeof TEAMS)[number]) => boolean) =>
  new Set(
    Object.entries(TEAMS)
      .filter(([, team]) => test(team))
      .map(([id]) => Number(id)),
  );

/** The real Access with its three SQL questions answered from TEAMS. */
class FakeAccess extends Access {
  constructor(viewer: Viewer | null) {
    super(undefined as never, viewer);
  }
  override managedTeamIds() {
    return Promise.resolve(this.isManager ? teamIdsWhere((team) => team.managerId === this.viewer!.id) : new Set<number>());
  }
  override memberTeamIds() {
    return Promise.resolve(this.viewer ? teamIdsWhere((team) => team.members.includes(this.viewer!.id)) : new Set<number>());
  }
  override async managedUserIds() {
    const managed = await this.managedTeamIds();
    return new Set([...managed].flatMap((id) => TEAMS[id]!.members));
  }
}

const viewer = (id: number, role: UserRole): Viewer => ({ id, role, name: role, email: `${role}@example.com`, via: "jwt" });
const CALLERS: Array<[string, () => Access]> = [
  ["admin", () => new FakeAccess(viewer(1, "admin"))],
  ["manager", () => new FakeAccess(viewer(2, "manager"))],
  ["user", () => new FakeAccess(viewer(3, "user"))],
];

/** An answer as text: the value, or the error a caller would see. */
async function outcome(decide: () => unknown): Promise<string> {
  try {
    const value = await decide();
    if (value instanceof AppError) return `refuses ${value.code}: ${value.message}`;
    if (value instanceof Set) return JSON.stringify([...value].sort((a, b) => a - b));
    return JSON.stringify(value) ?? "undefined";
  } catch (error) {
    if (error instanceof AppError) return `throws ${error.code}: ${error.message}`;
    throw error;
  }
}

const ownersOf = async (ids: number[]) =>
  ids.filter((id) => id in ASSIGNMENT_OWNERS).map((id) => ({ id, userId: ASSIGNMENT_OWNERS[id]! }));

const CASES: Array<[string, (access: Access) => unknown]> = [
  ["maySeeUser(3)", (a) => maySeeUser(a, "3")],
  ["maySeeUser(6)", (a) => maySeeUser(a, "6")],
  ["maySeeUser(x)", (a) => maySeeUser(a, "x")],
  ["mayViewTeam(10)", (a) => mayViewTeam(a, "10")],
  ["mayViewTeam(12)", (a) => mayViewTeam(a, "12")],
  ["maySeeFiguresOf(5)", (a) => maySeeFiguresOf(a, 5)],
  ["refusal(Alert 9)", (a) => refusal(a, "Alert", 9)],
  ["userListScope", (a) => userListScope(a)],
  ["bulkAssignDecision(users 3, 4)", (a) => bulkAssignDecision(a, { userIds: ["3", "4"] })],
  ["bulkAssignDecision(users 3, 6, x)", (a) => bulkAssignDecision(a, { userIds: ["3", "6", "x"] })],
  ["bulkAssignDecision(user 2)", (a) => bulkAssignDecision(a, { userIds: ["2"] })],
  ["bulkAssignDecision(no users)", (a) => bulkAssignDecision(a, { userIds: [] })],
  ["bulkAssignDecision(team 10)", (a) => bulkAssignDecision(a, { teamId: "10" })],
  ["bulkAssignDecision(team 11)", (a) => bulkAssignDecision(a, { teamId: "11" })],
  ["bulkAssignDecision(team 12)", (a) => bulkAssignDecision(a, { teamId: "12" })],
  ["runRequestScope(everything)", (a) => runRequestScope(a, {}, ownersOf)],
  ["runRequestScope(team 11)", (a) => runRequestScope(a, { teamId: 11 }, ownersOf)],
  ["runRequestScope(team 12)", (a) => runRequestScope(a, { teamId: 12 }, ownersOf)],
  ["runRequestScope(assignment 100)", (a) => runRequestScope(a, { userKpiIds: [100] }, ownersOf)],
  ["runRequestScope(assignments 100, 101, 102, 999)", (a) => runRequestScope(a, { userKpiIds: [100, 101, 102, 999] }, ownersOf)],
  ["readableRun(asked by 2)", (a) => readableRun(a, { requestedBy: 2 }, 7)],
  ["readableRun(asked by 1)", (a) => readableRun(a, { requestedBy: 1 }, 7)],
  ["readableRun(missing)", (a) => readableRun(a, undefined, 7)],
  ["runListScope", (a) => runListScope(a)],
  ["alertScope(any team)", (a) => alertScope(a, undefined)],
  ["alertScope(team 10)", (a) => alertScope(a, 10)],
  ["alertScope(team 12)", (a) => alertScope(a, 12)],
  ["acknowledgeableAlert(about 3)", (a) => acknowledgeableAlert(a, { userId: 3 }, 9)],
  ["acknowledgeableAlert(about 6)", (a) => acknowledgeableAlert(a, { userId: 6 }, 9)],
  ["acknowledgeableAlert(missing)", (a) => acknowledgeableAlert(a, undefined, 9)],
];

describe("row-level decisions", () => {
  it("a manager's reports exclude the manager, even as a member of a team they manage", async () => {
    expect(await outcome(() => bulkAssignDecision(CALLERS[1]![1](), { userIds: ["2"] }))).toMatch(/^refuses FORBIDDEN/);
    expect(await outcome(() => runRequestScope(CALLERS[1]![1](), {}, ownersOf))).toBe('{"userIds":[3,4,5]}');
  });

  it("matches the snapshot (update with `npx vitest run -u` and review the diff)", async () => {
    const lines: string[] = [];
    for (const [name, decide] of CASES) {
      for (const [role, access] of CALLERS) lines.push(`${name} as ${role}: ${await outcome(() => decide(access()))}`);
    }
    expect(lines.join("\n")).toMatchSnapshot();
  });
});
