import { Arg, Ctx, Extensions, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { TeamRow, UserRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { viewerOf } from "../../permissions/viewer.js";
import { parseId } from "../../lib/errors.js";
import { User } from "../user/user.type.js";
import { CreateTeamInput, UpdateTeamInput } from "./team.input.js";
import { Team, TeamMember } from "./team.type.js";

const optionalId = (value: string | null | undefined, field: string) =>
  value === undefined ? undefined : value === null ? null : parseId(value, field);

@Resolver(() => Team)
export class TeamResolver {
  @Query(() => Team, { nullable: true })
  team(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<TeamRow> {
    return ctx.services.teams.require(parseId(id));
  }

  @Query(() => [Team], { description: "All teams for an admin; the teams one manages or belongs to otherwise." })
  @Extensions({ listSize: 50 })
  async teams(@Ctx() ctx: Context): Promise<TeamRow[]> {
    return ctx.services.teams.list(await ctx.access.visibleTeamIds());
  }

  @Mutation(() => Team)
  createTeam(@Arg("input", () => CreateTeamInput) input: CreateTeamInput, @Ctx() ctx: Context): Promise<TeamRow> {
    return ctx.services.teams.create(viewerOf(ctx).id, { name: input.name, managerId: optionalId(input.managerId, "managerId") });
  }

  @Mutation(() => Team)
  updateTeam(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateTeamInput) input: UpdateTeamInput,
    @Ctx() ctx: Context,
  ): Promise<TeamRow> {
    return ctx.services.teams.update(viewerOf(ctx).id, parseId(id), {
      name: input.name,
      managerId: optionalId(input.managerId, "managerId"),
    });
  }

  @Mutation(() => Team)
  addTeamMember(@Arg("teamId", () => ID) teamId: string, @Arg("userId", () => ID) userId: string, @Ctx() ctx: Context) {
    return ctx.services.teams.addMember(viewerOf(ctx).id, parseId(teamId, "teamId"), parseId(userId, "userId"));
  }

  @Mutation(() => Team)
  removeTeamMember(@Arg("teamId", () => ID) teamId: string, @Arg("userId", () => ID) userId: string, @Ctx() ctx: Context) {
    return ctx.services.teams.removeMember(viewerOf(ctx).id, parseId(teamId, "teamId"), parseId(userId, "userId"));
  }

  @FieldResolver(() => User, { nullable: true })
  manager(@Root() team: TeamRow, @Ctx() ctx: Context) {
    return team.managerId === null ? null : ctx.loaders.userById.load(team.managerId);
  }

  @FieldResolver(() => [TeamMember])
  @Extensions({ listSize: 50 })
  async members(@Root() team: TeamRow, @Ctx() ctx: Context): Promise<TeamMember[]> {
    const members = await ctx.loaders.membersByTeamId.load(team.id);
    return members.map((user) => ({ teamId: team.id, userId: user.id, user: user as unknown as User }));
  }
}

/** A user's teams: here rather than in the user module, which the team module builds on. */
@Resolver(() => User)
export class UserTeamsResolver {
  @FieldResolver(() => [Team])
  @Extensions({ listSize: 5 })
  async teams(@Root() user: UserRow, @Ctx() ctx: Context) {
    const teamIds = await ctx.loaders.teamIdsByUserId.load(user.id);
    const teams = await ctx.loaders.teamById.loadMany(teamIds);
    return teams.filter((team) => team !== null && !(team instanceof Error)).sort((a, b) => a!.name.localeCompare(b!.name));
  }
}
