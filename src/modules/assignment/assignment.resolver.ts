import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { UserKpiRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { viewerOf } from "../../permissions/viewer.js";
import { parseId } from "../../lib/errors.js";
import { KpiDefinition } from "../definition/definition.type.js";
import { User } from "../user/user.type.js";
import { AssignKpiInput, BulkAssignKpiInput, UpdateUserKpiInput } from "./assignment.input.js";
import { BulkAssignResult, UserKpi } from "./assignment.type.js";

const terms = (input: AssignKpiInput | BulkAssignKpiInput) => ({
  kpiDefinitionId: parseId(input.kpiDefinitionId, "kpiDefinitionId"),
  targetValue: input.targetValue,
  weight: input.weight,
  startDate: input.startDate,
  endDate: input.endDate ?? null,
});

@Resolver(() => UserKpi)
export class AssignmentResolver {
  @Query(() => UserKpi, { nullable: true })
  userKpi(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<UserKpiRow> {
    return ctx.services.assignments.require(parseId(id));
  }

  @Mutation(() => UserKpi, { description: "Assigns a KPI to a user (the user's manager or an admin)." })
  assignKpi(
    @Arg("userId", () => ID) userId: string,
    @Arg("input", () => AssignKpiInput) input: AssignKpiInput,
    @Ctx() ctx: Context,
  ): Promise<UserKpiRow> {
    return ctx.services.assignments.assign(viewerOf(ctx).id, parseId(userId, "userId"), terms(input));
  }

  @Mutation(() => BulkAssignResult, {
    description: "Assigns a KPI to many users (userIds) or a whole team (teamId) at once: all or nothing, and idempotent.",
  })
  bulkAssignKpi(@Arg("input", () => BulkAssignKpiInput) input: BulkAssignKpiInput, @Ctx() ctx: Context) {
    return ctx.services.assignments.bulkAssign(
      viewerOf(ctx).id,
      {
        userIds: input.userIds?.map((id, i) => parseId(id, `userIds[${i}]`)),
        teamId: input.teamId == null ? undefined : parseId(input.teamId, "teamId"),
      },
      terms(input),
    );
  }

  @Mutation(() => UserKpi)
  updateUserKpi(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateUserKpiInput) input: UpdateUserKpiInput,
    @Ctx() ctx: Context,
  ): Promise<UserKpiRow> {
    return ctx.services.assignments.update(viewerOf(ctx).id, parseId(id), input);
  }

  @FieldResolver(() => User)
  user(@Root() assignment: UserKpiRow, @Ctx() ctx: Context) {
    return ctx.loaders.userById.load(assignment.userId);
  }

  @FieldResolver(() => KpiDefinition)
  kpiDefinition(@Root() assignment: UserKpiRow, @Ctx() ctx: Context) {
    return ctx.loaders.definitionById.load(assignment.kpiDefinitionId);
  }

  @FieldResolver(() => User, { nullable: true })
  assignedBy(@Root() assignment: UserKpiRow, @Ctx() ctx: Context) {
    return assignment.assignedBy === null ? null : ctx.loaders.userById.load(assignment.assignedBy);
  }
}
