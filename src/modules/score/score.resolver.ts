import { Arg, Ctx, Extensions, FieldResolver, Float, Resolver, Root } from "type-graphql";
import type { TeamRow, UserRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { DateScalar } from "../../graphql/scalars.js";
import { badInput } from "../../lib/errors.js";
import { UserKpi } from "../assignment/assignment.type.js";
import { KpiDefinition } from "../definition/definition.type.js";
import { KpiSnapshot } from "../measurement/measurement.type.js";
import { Team, TeamMember } from "../team/team.type.js";
import { User } from "../user/user.type.js";
import { KpiAverage, TeamAverages } from "./score.type.js";

/** The figures of a user: their assignments, overall score and its daily snapshots. */
@Resolver(() => User)
export class UserScoresResolver {
  @FieldResolver(() => [UserKpi], { description: "KPIs assigned to this user; by default only the active ones." })
  @Extensions({ listSize: 20 })
  kpis(
    @Root() user: UserRow,
    @Ctx() ctx: Context,
    @Arg("activeOnly", () => Boolean, { nullable: true, defaultValue: true }) activeOnly: boolean,
  ) {
    return (activeOnly === false ? ctx.loaders.allUserKpisByUserId : ctx.loaders.activeUserKpisByUserId).load(user.id);
  }

  @FieldResolver(() => Float, {
    nullable: true,
    description: "Weighted average of the achievement of the user's active KPIs in their latest periods.",
  })
  overallScore(@Root() user: UserRow, @Ctx() ctx: Context) {
    return ctx.loaders.overallScoreByUserId.load(user.id);
  }

  @FieldResolver(() => [KpiSnapshot], {
    description: "Daily snapshots of the overall score dated within [from, to), oldest first.",
  })
  @Extensions({ listSize: 90 })
  snapshots(
    @Root() user: UserRow,
    @Ctx() ctx: Context,
    @Arg("from", () => DateScalar, { nullable: true }) from?: string | null,
    @Arg("to", () => DateScalar, { nullable: true }) to?: string | null,
  ) {
    if (from && to && to <= from) throw badInput("to", "must be after from");
    return ctx.loaders.snapshots.load({ id: user.id, options: { from: from ?? null, to: to ?? null } });
  }
}

@Resolver(() => TeamMember)
export class TeamMemberScoresResolver {
  @FieldResolver(() => Float, { nullable: true })
  overallScore(@Root() member: TeamMember, @Ctx() ctx: Context) {
    return ctx.loaders.overallScoreByUserId.load(member.userId);
  }

  @FieldResolver(() => [UserKpi], { description: "The member's active KPIs." })
  @Extensions({ listSize: 20 })
  kpis(@Root() member: TeamMember, @Ctx() ctx: Context) {
    return ctx.loaders.activeUserKpisByUserId.load(member.userId);
  }
}

@Resolver(() => Team)
export class TeamScoresResolver {
  @FieldResolver(() => TeamAverages)
  averages(@Root() team: TeamRow): TeamAverages {
    return { teamId: team.id };
  }
}

@Resolver(() => TeamAverages)
export class TeamAveragesResolver {
  @FieldResolver(() => Float, { nullable: true })
  async overallScore(@Root() averages: TeamAverages, @Ctx() ctx: Context): Promise<number | null> {
    const members = await ctx.loaders.membersByTeamId.load(averages.teamId);
    return ctx.services.insights.averageScore(
      await ctx.loaders.overallScoreByUserId.loadMany(members.map((member) => member.id)),
    );
  }

  @FieldResolver(() => [KpiAverage])
  @Extensions({ listSize: 20 })
  kpiAverages(@Root() averages: TeamAverages, @Ctx() ctx: Context) {
    return ctx.loaders.kpiAveragesByTeamId.load(averages.teamId);
  }
}

@Resolver(() => KpiAverage)
export class KpiAverageResolver {
  @FieldResolver(() => KpiDefinition)
  kpiDefinition(@Root() average: KpiAverage, @Ctx() ctx: Context) {
    return ctx.loaders.definitionById.load(average.kpiDefinitionId);
  }
}
