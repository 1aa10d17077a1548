import { eq, inArray } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { kpiDefinitions, teams, userKpis, type CalculationRunRow, type RunSelection } from "../../db/schema/index.js";
import type { CalculationJobs } from "../../jobs/calculation-jobs.js";
import { createRun, findRun, listRuns } from "../../jobs/runs.js";
import { badInput, forbidden, notFound, parseId } from "../../lib/errors.js";
import type { Access } from "../../permissions/access.js";
import { isCalendarDate } from "../../scoring/periods.js";
import type { CalculateInput } from "./run.type.js";

/** Requests and reads calculation runs; the jobs (src/jobs) do the work. */
export class RunService {
  constructor(
    private readonly db: Db,
    private readonly jobs: CalculationJobs,
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
    const run = await createRun(this.db, { trigger, selection, periodContaining, today, requestedBy: access.viewer?.id ?? null });
    await this.jobs.queueRun(run.id);
    return run;
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

  private async checkExists(selection: RunSelection): Promise<void> {
    if (selection.teamId !== undefined) {
      const found = await this.db.select({ id: teams.id }).from(teams).where(eq(teams.id, selection.teamId));
      if (found.length === 0) throw notFound("Team", selection.teamId);
    }
    if (selection.kpiDefinitionId !== undefined) {
      const [definition] = await this.db
        .select({ calculationType: kpiDefinitions.calculationType, name: kpiDefinitions.name })
        .from(kpiDefinitions)
        .where(eq(kpiDefinitions.id, selection.kpiDefinitionId));
      if (!definition) throw notFound("KpiDefinition", selection.kpiDefinitionId);
      if (definition.calculationType === "manual") {
        throw badInput("kpiDefinitionId", `KPI "${definition.name}" is MANUAL: its values are recorded, never calculated`);
      }
    }
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
}
