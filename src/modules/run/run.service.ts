import type { Db } from "../../db/client.js";
import {
  aggregationPeriod,
  type AggregationPeriodValue,
  type CalculationRunRow,
  type RunSelection,
} from "../../db/schema/index.js";
import { lastScheduledRuns, runTotalsSince, unfinishedRuns, type RunTotals as CountedRunTotals } from "./run-health.store.js";
import { dependentAssignmentIds, type StoredMeasurement } from "./dependents.store.js";
import { createRun, findRun, listRuns, type NewRun } from "./run.store.js";
import type { RunQueue } from "./run-queue.js";
import { badInput, notFound } from "../../lib/errors.js";
import type { RunScope } from "../../permissions/scopes.js";
import { isCalendarDate } from "../../scoring/periods.js";
import { userKpiOwners } from "../assignment/assignment.store.js";
import { findTeam } from "../team/team.store.js";
import { findDefinition } from "../definition/definition.store.js";

/** What calculateKpis asks for, ids parsed. */
export interface RunRequest {
  userKpiIds?: number[] | null;
  kpiDefinitionId?: number | null;
  teamId?: number | null;
  periodContaining?: string | null;
}

/**
 * Who asks for a run, and the decision (src/permissions/scopes.ts runRequestScope) of whom it may
 * cover, taken once the request is known to be well-formed and before anything is looked up.
 */
export interface RunRequester {
  id: number | null;
  scope: (selection: RunSelection) => Promise<RunScope>;
}

/** The store's counts, and the share of calculations that failed (null when none ran). */
export interface RunTotals extends CountedRunTotals {
  failureRate: number | null;
}

/** The admin's health summary (GraphQL CalculationHealth). */
export interface RunHealth {
  schedules: Array<{ aggregationPeriod: AggregationPeriodValue; lastRun: CalculationRunRow | null }>;
  lastDay: RunTotals;
  unfinishedRuns: number;
  oldestUnfinishedRunAt: Date | null;
  jobQueue: { queued: number; running: number };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Requests and reads calculation runs; the jobs (src/jobs) do the work. */
export class RunService {
  constructor(
    private readonly db: Db,
    private readonly jobs: RunQueue,
    private readonly today: () => string,
  ) {}

  /**
   * Stores a QUEUED run and queues its planning, for the users the requester's scope allows (a
   * manager's run without a team or assignments covers exactly their reports).
   */
  async request(input: RunRequest, requester: RunRequester, trigger = "manual"): Promise<CalculationRunRow> {
    const today = this.today();
    const periodContaining = input.periodContaining ?? null;
    if (periodContaining !== null && (!isCalendarDate(periodContaining) || periodContaining > today)) {
      throw badInput("periodContaining", "must be a date YYYY-MM-DD, today or earlier");
    }
    const selection: RunSelection = {};
    if (input.userKpiIds != null) {
      if (input.userKpiIds.length === 0) throw badInput("userKpiIds", "must name at least one assignment (or be left out)");
      selection.userKpiIds = [...new Set(input.userKpiIds)];
    }
    if (input.teamId != null) selection.teamId = input.teamId;
    if (input.kpiDefinitionId != null) selection.kpiDefinitionId = input.kpiDefinitionId;
    const scope = await requester.scope(selection);
    if (scope.userIds) selection.userIds = scope.userIds;
    await this.checkExists(selection);
    return this.queue({ trigger, selection, periodContaining, today, requestedBy: requester.id });
  }

  /** The user of each of these assignments: what a manager's run request is checked against. */
  ownersOf(userKpiIds: number[]): Promise<Array<{ id: number; userId: number }>> {
    return userKpiOwners(this.db, userKpiIds);
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
      const found = await userKpiOwners(this.db, selection.userKpiIds);
      const missing = selection.userKpiIds.find((id) => !found.some((row) => row.id === id));
      if (missing !== undefined) throw notFound("UserKpi", missing);
    }
  }

  find(id: number): Promise<CalculationRunRow | undefined> {
    return findRun(this.db, id);
  }

  /** The latest runs, newest first: all of them, or those `requestedBy` asked for. */
  list(limit: number, scope: { requestedBy?: number }): Promise<CalculationRunRow[]> {
    return listRuns(this.db, limit, scope.requestedBy);
  }

  /** The admin's health summary: the schedules' last runs, the last day's failure rate, the backlog. */
  async health(): Promise<RunHealth> {
    const [scheduled, lastDay, unfinished, jobQueue] = await Promise.all([
      lastScheduledRuns(this.db),
      runTotalsSince(this.db, new Date(Date.now() - DAY_MS)),
      unfinishedRuns(this.db),
      this.jobs.queueDepth(),
    ]);
    const calculations = lastDay.succeeded + lastDay.failed + lastDay.skipped + lastDay.undefinedCount;
    return {
      schedules: aggregationPeriod.enumValues.map((period) => ({
        aggregationPeriod: period,
        lastRun: scheduled.get(period) ?? null,
      })),
      lastDay: { ...lastDay, failureRate: calculations === 0 ? null : lastDay.failed / calculations },
      unfinishedRuns: unfinished.count,
      oldestUnfinishedRunAt: unfinished.oldestCreatedAt,
      jobQueue,
    };
  }
}
