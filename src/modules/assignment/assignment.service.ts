import type { Db, Tx } from "../../db/client.js";
import type { UserKpiRow } from "../../db/schema/index.js";
import { AppError, badInput, conflict, notFound } from "../../lib/errors.js";
import { isCalendarDate } from "../../scoring/periods.js";
import { appendAudit } from "../audit/audit.store.js";
import { findDefinition } from "../definition/definition.store.js";
import { activeMemberIdsOfTeam, findTeam } from "../team/team.store.js";
import { activeFlagsOf } from "../user/user.store.js";
import {
  assignmentsStartingOn,
  findUserKpi,
  insertAssignmentsAudited,
  insertUserKpi,
  lockAssignee,
  lockAssignees,
  overlappingAssignments,
  updateUserKpi,
  userKpisByIds,
  usersWithOverlap,
} from "./assignment.store.js";

export interface AssignmentTerms {
  kpiDefinitionId: number;
  targetValue: number;
  weight: number;
  startDate: string;
  endDate?: string | null;
}

export interface AssignmentChanges {
  targetValue?: number | null;
  weight?: number | null;
  endDate?: string | null;
  isActive?: boolean | null;
}

/** The audited state of an assignment: what a reviewer needs to see changed. */
const audited = (row: UserKpiRow) => ({
  userId: row.userId,
  kpiDefinitionId: row.kpiDefinitionId,
  targetValue: row.targetValue,
  weight: row.weight,
  startDate: row.startDate,
  endDate: row.endDate,
  isActive: row.isActive,
});

const listIds = (ids: readonly number[], max = 20) =>
  ids.length > max ? `${ids.slice(0, max).join(", ")} and ${ids.length - max} more` : ids.join(", ");

export class AssignmentService {
  constructor(private readonly db: Db) {}

  async require(id: number): Promise<UserKpiRow> {
    const row = await findUserKpi(this.db, id);
    if (!row) throw notFound("UserKpi", id);
    return row;
  }

  async assign(actorId: number, userId: number, terms: AssignmentTerms): Promise<UserKpiRow> {
    const endDate = checkDates(terms.startDate, terms.endDate ?? null);
    await this.requireActiveDefinition(terms.kpiDefinitionId);
    return this.db.transaction(async (tx) => {
      // Locking the user serialises assignment writes for them, so two concurrent calls cannot both pass the overlap check.
      const user = await lockAssignee(tx, userId);
      if (!user) throw notFound("User", userId);
      if (!user.isActive) throw badInput("userId", `user ${userId} is deactivated`);
      const overlapping = await overlappingAssignments(tx, {
        userId,
        kpiDefinitionId: terms.kpiDefinitionId,
        start: terms.startDate,
        end: endDate,
      });
      const duplicate = overlapping.find((row) => row.startDate === terms.startDate);
      if (duplicate) {
        throw conflict(`User ${userId} already has this KPI from ${terms.startDate} (UserKpi ${duplicate.id})`, {
          userKpiId: String(duplicate.id),
        });
      }
      if (overlapping.length > 0) {
        throw conflict(
          `User ${userId} already has this KPI from ${overlapping[0]!.startDate} to ${overlapping[0]!.endDate ?? "ongoing"} (UserKpi ${overlapping[0]!.id}); end it before assigning again`,
          { userKpiId: String(overlapping[0]!.id) },
        );
      }
      const row = await insertUserKpi(tx, {
        userId,
        kpiDefinitionId: terms.kpiDefinitionId,
        targetValue: terms.targetValue,
        weight: terms.weight,
        startDate: terms.startDate,
        endDate,
        assignedBy: actorId,
      });
      await appendAudit(tx, {
        actorId,
        action: "user_kpi.create",
        entityType: "user_kpi",
        entityId: row.id,
        after: audited(row),
      });
      return row;
    });
  }

  /**
   * Assigns one definition to many users in one transaction, all or nothing, with set-based SQL
   * (the users travel as one array parameter, so 10,000 users are a handful of statements).
   * Idempotent: an assignment with the same user, definition and start date is left as it is and
   * returned under `existing`.
   */
  async bulkAssign(
    actorId: number,
    target: { userIds?: number[]; teamId?: number },
    terms: AssignmentTerms,
  ): Promise<{ created: UserKpiRow[]; existing: UserKpiRow[] }> {
    if ((target.userIds === undefined) === (target.teamId === undefined))
      throw badInput("input", "give either userIds or teamId");
    const endDate = checkDates(terms.startDate, terms.endDate ?? null);
    await this.requireActiveDefinition(terms.kpiDefinitionId);

    return this.db.transaction(async (tx) => {
      const userIds =
        target.teamId !== undefined ? await activeMembers(tx, target.teamId) : await requireActiveUsers(tx, target.userIds!);
      if (userIds.length === 0) return { created: [], existing: [] };

      const bulkTerms = { ...terms, endDate };
      await lockAssignees(tx, userIds);
      const ids = await usersWithOverlap(tx, userIds, bulkTerms);
      if (ids.length > 0) {
        throw conflict(`Users ${listIds(ids)} already have this KPI for dates that overlap; end those assignments first`, {
          userIds: ids.map(String),
        });
      }

      const createdIds = await insertAssignmentsAudited(tx, userIds, bulkTerms, actorId);
      const all = await assignmentsStartingOn(tx, userIds, terms);
      return { created: all.filter((row) => createdIds.has(row.id)), existing: all.filter((row) => !createdIds.has(row.id)) };
    });
  }

  async update(actorId: number, id: number, changes: AssignmentChanges): Promise<UserKpiRow> {
    for (const field of ["targetValue", "weight", "isActive"] as const) {
      if (changes[field] === null) throw badInput(field, "cannot be null; leave it out to keep the current value");
    }
    return this.db.transaction(async (tx) => {
      const current = await findUserKpi(tx, id);
      if (!current) throw notFound("UserKpi", id);
      await lockAssignee(tx, current.userId);
      const endDate = changes.endDate === undefined ? current.endDate : checkDates(current.startDate, changes.endDate);
      const isActive = changes.isActive ?? current.isActive;
      if (isActive && (endDate !== current.endDate || !current.isActive)) {
        const [overlap] = await overlappingAssignments(tx, {
          userId: current.userId,
          kpiDefinitionId: current.kpiDefinitionId,
          start: current.startDate,
          end: endDate,
          excludeId: id,
        });
        if (overlap)
          throw conflict(`The new dates overlap UserKpi ${overlap.id} of the same KPI`, { userKpiId: String(overlap.id) });
      }
      const after = await updateUserKpi(tx, id, {
        targetValue: changes.targetValue ?? undefined,
        weight: changes.weight ?? undefined,
        endDate,
        isActive,
      });
      await appendAudit(tx, {
        actorId,
        action: "user_kpi.update",
        entityType: "user_kpi",
        entityId: id,
        before: audited(current),
        after: audited(after),
      });
      return after;
    });
  }

  byIds(ids: readonly number[]): Promise<UserKpiRow[]> {
    return userKpisByIds(this.db, ids);
  }

  private async requireActiveDefinition(id: number): Promise<void> {
    const definition = await findDefinition(this.db, id);
    if (!definition) throw notFound("KpiDefinition", id);
    if (!definition.isActive) throw badInput("kpiDefinitionId", `KPI definition ${id} is archived`);
  }
}

/** Validates the dates and returns the end date (null = ongoing). */
function checkDates(startDate: string, endDate: string | null): string | null {
  if (!isCalendarDate(startDate)) throw badInput("startDate", "must be a date YYYY-MM-DD");
  if (endDate !== null && !isCalendarDate(endDate)) throw badInput("endDate", "must be a date YYYY-MM-DD");
  if (endDate !== null && endDate < startDate) throw badInput("endDate", "must not be before startDate");
  return endDate;
}

async function activeMembers(tx: Tx, teamId: number): Promise<number[]> {
  if (!(await findTeam(tx, teamId))) throw notFound("Team", teamId);
  return activeMemberIdsOfTeam(tx, teamId);
}

async function requireActiveUsers(tx: Tx, requested: number[]): Promise<number[]> {
  const ids = [...new Set(requested)].sort((a, b) => a - b);
  const found = await activeFlagsOf(tx, ids);
  const byId = new Map(found.map((row) => [row.id, row.isActive]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new AppError("NOT_FOUND", `Users ${listIds(missing)} do not exist`, { userIds: missing.map(String) });
  const inactive = ids.filter((id) => byId.get(id) === false);
  if (inactive.length > 0) throw badInput("userIds", `users ${listIds(inactive)} are deactivated`);
  return ids;
}
