import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { TeamRow, UserKpiRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { boundedLimit } from "../../lib/limits.js";
import { UserKpi } from "../assignment/assignment.type.js";
import { AggregationPeriod } from "../definition/definition.type.js";
import { Team } from "../team/team.type.js";
import type { InsightReads, KpiComparisonValue, KpiForecastValue } from "./insight.service.js";
import { KpiComparison, KpiForecast, TeamTrendPoint } from "./insight.type.js";

export const MAX_COMPARED_PERIODS = 12;
export const MAX_TEAM_TREND_PERIODS = 60;

/** The insight service's reads, answered by the request's loaders. */
const readsOf = (ctx: Context): InsightReads => ({
  definition: (id) => ctx.loaders.definitionById.load(id),
  latestMeasurement: (userKpiId) => ctx.loaders.latestMeasurements.load({ id: userKpiId, options: 1 }),
  measurementAt: (userKpiId, periodStart) => ctx.loaders.measurementAt.load({ userKpiId, periodStart }),
});

@Resolver(() => UserKpi)
export class UserKpiInsightResolver {
  @FieldResolver(() => KpiForecast, {
    nullable: true,
    description:
      "Where the current period is heading: a linear projection of the period-to-date value for additive KPIs, the least-squares trend of the last 6 periods for averages and rates. Null when the assignment does not cover the current period.",
  })
  forecast(@Root() assignment: UserKpiRow, @Ctx() ctx: Context): Promise<KpiForecastValue | null> {
    return ctx.services.insights.forecast(assignment, { today: ctx.today, timeZone: ctx.timeZone }, readsOf(ctx));
  }

  @FieldResolver(() => KpiComparison, {
    nullable: true,
    description:
      "The latest measured period (as currentMeasurement) against the `periods` periods before it and the same period last year. Null before any measurement.",
  })
  comparison(
    @Root() assignment: UserKpiRow,
    @Ctx() ctx: Context,
    @Arg("periods", () => Int, { nullable: true, defaultValue: 1 }) periods: number,
  ): Promise<KpiComparisonValue | null> {
    const count = boundedLimit(periods, MAX_COMPARED_PERIODS, "periods");
    return ctx.services.insights.comparison(assignment, count, readsOf(ctx));
  }
}

@Resolver(() => Team)
export class TeamInsightResolver {
  @FieldResolver(() => [TeamTrendPoint], {
    description: "The team's average overall score per period (from the daily snapshots), oldest first, the current period last.",
  })
  async trend(
    @Root() team: TeamRow,
    @Ctx() ctx: Context,
    @Arg("periods", () => Int, { nullable: true, defaultValue: 6 }) periods: number,
    @Arg("aggregationPeriod", () => AggregationPeriod, { nullable: true, defaultValue: AggregationPeriod.MONTHLY })
    aggregationPeriod: AggregationPeriod,
  ): Promise<TeamTrendPoint[]> {
    const window = { aggregation: aggregationPeriod, periods: boundedLimit(periods, MAX_TEAM_TREND_PERIODS, "periods") };
    const rows = await ctx.loaders.teamTrend.load({ id: team.id, options: window });
    return ctx.services.insights.teamTrend(rows, window, ctx.today);
  }
}
