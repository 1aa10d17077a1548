import { Arg, Ctx, Extensions, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { CalculationRunRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { parseId } from "../../lib/errors.js";
import { boundedLimit } from "../../lib/limits.js";
import { readableRun, runListScope, runRequestScope } from "../../permissions/scopes.js";
import { viewerOf } from "../../permissions/viewer.js";
import { CalculationHealth } from "./health.type.js";
import type { RunHealth } from "./run.service.js";
import { CalculateInput, CalculationRun } from "./run.type.js";

export const MAX_RUNS = 200;

@Resolver(() => CalculationRun)
export class RunResolver {
  @Mutation(() => CalculationRun, {
    description:
      "Queues a calculation run at once (QUEUED); follow it with calculationRun(id). Admins; managers for their teams.",
  })
  calculateKpis(@Arg("input", () => CalculateInput) input: CalculateInput, @Ctx() ctx: Context): Promise<CalculationRunRow> {
    const runs = ctx.services.runs;
    return runs.request(
      {
        periodContaining: input.periodContaining,
        userKpiIds: input.userKpiIds?.map((id, i) => parseId(id, `userKpiIds[${i}]`)),
        teamId: input.teamId == null ? null : parseId(input.teamId, "teamId"),
        kpiDefinitionId: input.kpiDefinitionId == null ? null : parseId(input.kpiDefinitionId, "kpiDefinitionId"),
      },
      {
        id: viewerOf(ctx).id,
        scope: (selection) => runRequestScope(ctx.access, selection, (ids) => runs.ownersOf(ids)),
      },
    );
  }

  @Query(() => CalculationRun, { nullable: true, description: "A run: for admins, and for the manager who asked for it." })
  async calculationRun(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<CalculationRunRow> {
    const runId = parseId(id);
    return readableRun(ctx.access, await ctx.services.runs.find(runId), runId);
  }

  @Query(() => [CalculationRun], { description: "The latest runs, newest first: all for admins, their own for managers." })
  @Extensions({ listSize: MAX_RUNS })
  calculationRuns(
    @Ctx() ctx: Context,
    @Arg("limit", () => Int, { nullable: true, defaultValue: 20 }) limit: number,
  ): Promise<CalculationRunRow[]> {
    return ctx.services.runs.list(boundedLimit(limit, MAX_RUNS), runListScope(ctx.access));
  }

  @Query(() => CalculationHealth, {
    description: "Admins: the schedules' last runs, the failure rate of the last day and the job backlog.",
  })
  calculationHealth(@Ctx() ctx: Context): Promise<RunHealth> {
    return ctx.services.runs.health();
  }
}
