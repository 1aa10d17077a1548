import type { RunSelection } from "../db/schema/index.js";
import { AppError, asId, forbidden, notFound, unauthenticated } from "../lib/errors.js";
import type { Access } from "./access.js";

/**
 * Row-level decisions: which rows a caller may reach once the field's rule (rules.ts) has let them
 * in. Resolvers ask these and hand services subjects already scoped (a set of user ids, a list of
 * teams, a run), so no service looks at a role. test/unit/permission-decisions.test.ts snapshots
 * their answers for an admin, a manager and a user, so a change of who-can-do-what shows in review.
 */

/**
 * What a caller hears about a row that does not exist or that they may not reach: admins, who may
 * reach every row, learn that it does not exist; anyone else only that they may not, so an id
 * never tells them whether a row exists.
 */
export function refusal(access: Access, entity: string, id: number): AppError {
  return access.isAdmin ? notFound(entity, id) : forbidden();
}

/**
 * The users a manager may act on: the members of the teams they manage, never themselves, so no
 * manager sets their own targets, calculates their own figures or hears of their own alerts.
 */
export async function reportIdsOf(access: Access): Promise<Set<number>> {
  const reports = new Set(await access.managedUserIds());
  if (access.viewer) reports.delete(access.viewer.id);
  return reports;
}

/** Query.users: undefined (everyone) for an admin; the members of the teams they manage for anyone else. */
export async function userListScope(access: Access): Promise<Set<number> | undefined> {
  return access.isAdmin ? undefined : access.managedUserIds();
}

/**
 * Mutation.bulkAssignKpi: an admin, or a manager assigning within teams they manage. A whole team
 * is refused to a manager who is one of its members (they would assign the KPI to themselves); one
 * user outside their reports refuses the whole call, naming who.
 */
export async function bulkAssignDecision(
  access: Access,
  input: { userIds?: unknown[] | null; teamId?: unknown },
): Promise<boolean | AppError> {
  if (access.isAdmin) return true;
  const viewer = access.viewer;
  if (!viewer || !access.isManager) return false;
  const { userIds, teamId } = input;
  if (teamId !== undefined && teamId !== null) {
    const id = asId(teamId);
    if (id === undefined || !(await access.managesTeam(id))) return false;
    if (!(await access.memberTeamIds()).has(id)) return true;
    return new AppError("FORBIDDEN", `You may not assign KPIs to yourself, and you are a member of team ${id}`, {
      userIds: [String(viewer.id)],
    });
  }
  if (!userIds || userIds.length === 0) return false;
  const reports = await reportIdsOf(access);
  const outside = userIds.filter((value) => {
    const id = asId(value);
    return id === undefined || !reports.has(id);
  });
  if (outside.length === 0) return true;
  const named = outside.slice(0, 20).map(String).join(", ") + (outside.length > 20 ? ` and ${outside.length - 20} more` : "");
  return new AppError("FORBIDDEN", `You may only assign KPIs to members of teams you manage; not to users ${named}`, {
    userIds: outside.map(String),
  });
}

/** Who a calculation run may cover: undefined, anyone; else only these users. */
export interface RunScope {
  userIds?: number[];
}

/**
 * Mutation.calculateKpis: admins may calculate anything; a manager only their reports, so a team
 * they do not manage or an assignment of someone else is refused, and a run they ask without a team
 * or assignments covers exactly their reports. `ownersOf` gives the user of each named assignment.
 */
export async function runRequestScope(
  access: Access,
  selection: Pick<RunSelection, "teamId" | "userKpiIds">,
  ownersOf: (userKpiIds: number[]) => Promise<Array<{ id: number; userId: number }>>,
): Promise<RunScope> {
  if (access.isAdmin) return {};
  if (!access.isManager) throw forbidden();
  const reports = await reportIdsOf(access);
  if (selection.teamId !== undefined && !(await access.managesTeam(selection.teamId))) throw forbidden();
  if (selection.userKpiIds) {
    const owners = await ownersOf(selection.userKpiIds);
    const outside = selection.userKpiIds.filter((id) => !owners.some((o) => o.id === id && reports.has(o.userId)));
    if (outside.length > 0) throw forbidden(`You do not manage the users of assignments ${outside.join(", ")}`);
  }
  return { userIds: [...reports] };
}

/** Query.calculationRun: any run for an admin; for a manager, the runs they asked for. */
export function readableRun<T extends { requestedBy: number | null }>(access: Access, run: T | undefined, id: number): T {
  if (run && (access.isAdmin || run.requestedBy === access.viewer?.id)) return run;
  throw refusal(access, "CalculationRun", id);
}

/** Query.calculationRuns: every run for an admin (undefined); the runs they asked for for anyone else. */
export function runListScope(access: Access): { requestedBy?: number } {
  if (access.isAdmin) return {};
  if (!access.viewer) throw unauthenticated();
  return { requestedBy: access.viewer.id };
}

/** Which teams' alerts a caller sees: "all" for an admin; else the teams they manage. */
export type AlertScope = { teamIds: "all" } | { teamIds: number[] };

/**
 * Query.alerts: admins see every alert; managers those about the members of the teams they
 * manage. Naming a team they do not manage is refused (an admin naming an unknown team hears
 * NOT_FOUND from the service).
 */
export async function alertScope(access: Access, teamId: number | undefined): Promise<AlertScope> {
  if (access.isAdmin) return { teamIds: "all" };
  if (teamId !== undefined && !(await access.managesTeam(teamId))) throw forbidden();
  return { teamIds: [...(await access.managedTeamIds())] };
}

/** Mutation.acknowledgeAlert: any alert for an admin; for a manager, the alerts about their teams' members. */
export async function acknowledgeableAlert<T extends { userId: number }>(
  access: Access,
  alert: T | undefined,
  id: number,
): Promise<T> {
  if (!alert) throw refusal(access, "Alert", id);
  if (!access.isAdmin && !(await access.managesUser(alert.userId))) throw forbidden();
  return alert;
}
