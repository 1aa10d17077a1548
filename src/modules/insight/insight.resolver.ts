import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { TeamRow, UserKpiRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { changeBetween, samePeriodLastYear } from "../../insights/comparison.js";
import { projectLinearly, projectTrend, TREND_PERIODS, type Forecast, type TrendPoint } from "../../insights/forecast.js";
import { boundedLimit } from "../../lib/limits.js";
import { assignmentCovers, periodContaining, shiftPeriod, type Period } from "../../scoring/periods.js";
import { UserKpi } from "../assignment/assignment.type.js";
import { AggregationPeriod } from "../definition/definition.type.js";
import type { KpiMeasurement } from "../measurement/measurement.type.js";
import { Team } from "../team/team.type.js";
import { ForecastMethod, KpiComparison, KpiForecast, PeriodComparison, TeamTrendPoint } from "./insight.type.js";
import { trendPeriods } from "./insight.loaders.js";

export const MAX_COMPARED_PERIODS = 12;
export const MAX_TEAM_TREND_PERIODS = 60;

@Resolver(() => UserKpi)
export class UserKpiInsightResolver {
  @FieldResolver(() => KpiForecast, {
    nullable: true,
    description:
      "Where the current period is heading: a linear projection of the period-to-date value for additive KPIs, the least-squares trend of the last 6 periods for averages and rates. Null when the assignment does not cover the current period.",
  })
  async forecast(@Root() assignment: UserKpiRow, @Ctx() ctx: Context): Promise<KpiForecast | null> {
    if (!assignment.isActive) return null;
    // Waiting for the latest measurements too (which comparison and currentMeasurement load anyway)
    // puts this field's measurementAt keys in the same batch as comparison's: one statement, not two.
    const [definition] = await Promise.all([
      ctx.loaders.definitionById.load(assignment.kpiDefinitionId),
      ctx.loaders.latestMeasurements.load({ id: assignment.id, options: 1 }),
    ]);
    if (!definition) return null;
    const period = periodContaining(definition.aggregationPeriod, ctx.today);
    if (!assignmentCovers(assignment, period)) return null;
    const target = { targetType: definition.targetType, targetValue: assignment.targetValue };
    let forecast: Forecast;
    if (definition.additive) {
      const toDate = await ctx.loaders.measurementAt.load({ userKpiId: assignment.id, periodStart: period.start });
      forecast = projectLinearly(
        target,
        period,
        toDate && { value: toDate.actualValue, calculatedAt: toDate.calculatedAt },
        ctx.timeZone,
      );
    } else {
      const earlier = Array.from({ length: TREND_PERIODS }, (_, i) =>
        shiftPeriod(definition.aggregationPeriod, period, -(i + 1)),
      );
      const measured = await Promise.all(
        earlier.map((p) => ctx.loaders.measurementAt.load({ userKpiId: assignment.id, periodStart: p.start })),
      );
      const points: TrendPoint[] = measured.flatMap((m, i) =>
        m?.actualValue == null ? [] : [{ offset: -(i + 1), periodStart: m.periodStart, value: m.actualValue }],
      );
      forecast = projectTrend(target, period, points);
    }
    return { ...forecast, method: forecast.method as ForecastMethod, periodStart: period.start, periodEnd: period.end };
  }

  @FieldResolver(() => KpiComparison, {
    nullable: true,
    description:
      "The latest measured period (as currentMeasurement) against the `periods` periods before it and the same period last year. Null before any measurement.",
  })
  async comparison(
    @Root() assignment: UserKpiRow,
    @Ctx() ctx: Context,
    @Arg("periods", () => Int, { nullable: true, defaultValue: 1 }) periods: number,
  ): Promise<KpiComparison | null> {
    const count = boundedLimit(periods, MAX_COMPARED_PERIODS, "periods");
    const [[current], definition] = await Promise.all([
      ctx.loaders.latestMeasurements.load({ id: assignment.id, options: 1 }),
      ctx.loaders.definitionById.load(assignment.kpiDefinitionId),
    ]);
    if (!current || !definition) return null;
    const base: Period = { start: current.periodStart, end: current.periodEnd };
    const earlier = [
      ...Array.from({ length: count }, (_, i) => shiftPeriod(definition.aggregationPeriod, base, -(i + 1))),
      samePeriodLastYear(definition.aggregationPeriod, base),
    ];
    const measured = await Promise.all(
      earlier.map((period) => ctx.loaders.measurementAt.load({ userKpiId: assignment.id, periodStart: period.start })),
    );
    const compared = earlier.map((period, i) => against(current, period, measured[i] ?? null));
    return {
      periodStart: current.periodStart,
      periodEnd: current.periodEnd,
      actualValue: current.actualValue,
      achievementPercentage: current.achievementPercentage,
      previous: compared.slice(0, count),
      samePeriodLastYear: compared[count]!,
    };
  }
}

function against(current: KpiMeasurement, period: Period, earlier: KpiMeasurement | null): PeriodComparison {
  const value = (m: KpiMeasurement | null) => ({ value: m?.actualValue ?? null, achievement: m?.achievementPercentage ?? null });
  return {
    periodStart: period.start,
    periodEnd: period.end,
    actualValue: earlier?.actualValue ?? null,
    achievementPercentage: earlier?.achievementPercentage ?? null,
    ...changeBetween(value(current), earlier && value(earlier)),
  };
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
    const rows = new Map(
      (await ctx.loaders.teamTrend.load({ id: team.id, options: window })).map((row) => [row.periodStart, row]),
    );
    // A team without members has no rows: its periods are listed anyway, without a score.
    return trendPeriods(window, ctx.today).map(
      (period) =>
        rows.get(period.start) ?? {
          periodStart: period.start,
          periodEnd: period.end,
          averageOverallScore: null,
          membersWithScore: 0,
        },
    );
  }
}
