import { inArray } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { aggregationPeriod, userKpis, type CalculationRunRow, type RunSelection } from "../../db/schema/index.js";
import { lastScheduledRuns, runTotalsSince, unfinishedRuns } from "./run-health.store.js";
import { dependentAssignmentIds, type StoredMeasurement } from "./dependents.store.js";
import { createRun, findRun, listRuns, type NewRun } from "./run.store.js";
import { badInput, forbidden, notFound, parseId } from "../../lib/errors.js";
import type { Access } from "../../permissions/access.js";
import { isCalendarDate } from "../../scoring/periods.js";
import type { CalculationHealth } from "./health.type.js";
import type { RunQueue } from "./run-queue.js";
import type { CalculateInput } from "./run.type.js";
import type { AggregationPeriod } from "../definition/definition.type.js";
import { findTeam } from "../team/team.store.js";
import { findDefinition } from "../definition/definition.store.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Requests and reads calculation runs; the jobs (src/jobs) do the work. */
export class RunService {
  constructor(
    private readonly db: Db,
    private readonly jobs: RunQueue,
    private readonly today: () => string,
  ) {}

  /**
   * Stores a QUEUED run and queues its planning. Admins may calculate anything; a manager only the
   * members of the teams they manage (never themselves), and a run they ask without a team or
   * assignments covers exactly those members.
   */
  async request(access: Access, input: CalculateInput, trigger = "manual"): Promise<CalculationRunRow> {
    const today = this.today();
    const periodContaining = input.periodContaining ?? null;
    if (periodContaining !== null && (!isCalendarDate(periodContaining) || periodContaining > today)) {
      throw badInput("periodContaining", "must be a date YYYY-MM-DD, today or earlier");
    }
    const selection: RunSelection = {};
    if (input.userKpiIds != null) {
      if (input.userKpiIds.length === 0) throw badInput("userKpiIds", "must name at least one assignment (or be left out)");
      selection.userKpiIds = [...new Set(input.userKpiIds.map((id, i) => parseId(id, `userKpiIds[${i}]`)))];
    }
    if (input.teamId != null) selection.teamId = parseId(input.teamId, "teamId");
    if (input.kpiDefinitionId != null) selection.kpiDefinitionId = parseId(input.kpiDefinitionId, "kpiDefinitionId");
    await this.authorize(access, selection);
    await this.checkExists(selection);
    return this.queue({ trigger, selection, periodContaining, today, requestedBy: access.viewer?.id ?? null });
  }

  /** Stores a run and queues its planning; the caller has checked who may ask for it. */
  async queue(run: NewRun): Promise<CalculationRunRow> {
    const row = await createRun(this.db, run);
    await this.jobs.enqueuePlan(row.id);
    return row;
  }

  /**
   * After a value was stored outside a run (a manual entry, calculateUserKpi), queues the
   * recalculation of the same user's formula KPIs that read it, for the periods containing it.
   * Returns null when no formula reads it.
   */
  async recalculateDependents(stored: StoredMeasurement): Promise<CalculationRunRow | null> {
    const userKpiIds = await dependentAssignmentIds(this.db.$client, stored.userId, stored.kpiDefinitionId);
    if (userKpiIds.length === 0) return null;
    return this.queue({
      trigger: "measurement",
      selection: { userKpiIds },
      periodContaining: stored.periodStart,
      today: this.today(),
      requestedBy: stored.actorId,
    });
  }

  private async authorize(access: Access, selection: RunSelection): Promise<void> {
    if (access.isAdmin) return;
    if (!access.isManager) throw forbidden();
    const managed = await access.managedUserIds();
    managed.delete(access.viewer!.id);
    if (selection.teamId !== undefined && !(await access.managesTeam(selection.teamId))) throw forbidden();
    if (selection.userKpiIds) {
      const owners = await this.db
        .select({ id: userKpis.id, userId: userKpis.userId })
        .from(userKpis)
        .where(inArray(userKpis.id, selection.userKpiIds));
      const outside = selection.userKpiIds.filter((id) => !owners.some((o) => o.id === id && managed.has(o.userId)));
      if (outside.length > 0) throw forbidden(`You do not manage the users of assignments ${outside.join(", ")}`);
    }
    selection.userIds = [...managed];
  }

  /** Refuses an unknown definition, and a MANUAL one (nothing to calculate). */
  async calculableDefinition(id: number): Promise<void> {
    const definition = await findDefinition(this.db, id);
    if (!definition) throw notFound("KpiDefinition", id);
    if (definition.calculationType === "manual") {
      throw badInput("kpiDefinitionId", `KPI "${definition.name}" is MANUAL: its values are recorded, never calculated`);
    }
  }

  private async checkExists(selection: RunSelection): Promise<void> {
    if (selection.teamId !== undefined) {
      if (!(await findTeam(this.db, selection.teamId))) throw notFound("Team", selection.teamId);
    }
    if (selection.kpiDefinitionId !== undefined) await this.calculableDefinition(selection.kpiDefinitionId);
    if (selection.userKpiIds) {
      const found = await this.db.select({ id: userKpis.id }).from(userKpis).where(inArray(userKpis.id, selection.userKpiIds));
      const missing = selection.userKpiIds.find((id) => !found.some((row) => row.id === id));
      if (missing !== undefined) throw notFound("UserKpi", missing);
    }
  }

  /** A run, for an admin or the manager who asked for it. */
  async get(access: Access, id: number): Promise<CalculationRunRow> {
    const run = await findRun(this.db, id);
    if (access.isAdmin) return run ?? Promise.reject(notFound("CalculationRun", id));
    if (!run || run.requestedBy !== access.viewer?.id) throw forbidden();
    return run;
  }

  list(access: Access, limit: number): Promise<CalculationRunRow[]> {
    return listRuns(this.db, limit, access.isAdmin ? undefined : access.viewer!.id);
  }

  /** The admin's health summary: the schedules' last runs, the last day's failure rate, the backlog. */
  async health(): Promise<CalculationHealth> {
    const [scheduled, lastDay, unfinished, jobQueue] = await Promise.all([
      lastScheduledRuns(this.db),
      runTotalsSince(this.db, new Date(Date.now() - DAY_MS)),
      unfinishedRuns(this.db),
      this.jobs.queueDepth(),
    ]);
    const calculations = lastDay.succeeded + lastDay.failed + lastDay.skipped + lastDay.undefinedCount;
    return {
      schedules: aggregationPeriod.enumValues.map((period) => ({
        aggregationPeriod: period as AggregationPeriod,
        lastRun: scheduled.get(period) ?? null,
      })),
      lastDay: { ...lastDay, failureRate: calculations === 0 ? null : lastDay.failed / calculations },
      unfinishedRuns: unfinished.count,
      oldestUnfinishedRunAt: unfinished.oldestCreatedAt,
      jobQueue,
    };
  }
}
