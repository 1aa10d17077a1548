import { Arg, Ctx, Extensions, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { KpiDefinitionRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { viewerOf } from "../../permissions/viewer.js";
import { parseId } from "../../lib/errors.js";
import { User } from "../user/user.type.js";
import { CreateKpiDefinitionInput, KpiDefinitionFilter, UpdateKpiDefinitionInput } from "./definition.input.js";
import { KpiDefinition, ValueRange } from "./definition.type.js";

@Resolver(() => KpiDefinition)
export class DefinitionResolver {
  @FieldResolver(() => ValueRange, {
    nullable: true,
    description:
      "MANUAL KPIs: the values recordMeasurement accepts (dataSource.allowed_range), for the people who record them; null when any value goes.",
  })
  allowedRange(@Root() definition: KpiDefinitionRow): ValueRange | null {
    const range = (definition.dataSource as { allowed_range?: ValueRange } | null)?.allowed_range;
    return definition.calculationType === "manual" && range ? range : null;
  }

  @Query(() => [KpiDefinition], { description: "KPI definitions by category and name (managers and admins)." })
  @Extensions({ listSize: 100 })
  kpiDefinitions(
    @Ctx() ctx: Context,
    @Arg("filter", () => KpiDefinitionFilter, { nullable: true }) filter?: KpiDefinitionFilter,
  ): Promise<KpiDefinitionRow[]> {
    return ctx.services.definitions.list({ ...filter });
  }

  @Query(() => KpiDefinition, { nullable: true })
  kpiDefinition(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<KpiDefinitionRow> {
    return ctx.services.definitions.require(parseId(id));
  }

  @Mutation(() => KpiDefinition)
  createKpiDefinition(
    @Arg("input", () => CreateKpiDefinitionInput) input: CreateKpiDefinitionInput,
    @Ctx() ctx: Context,
  ): Promise<KpiDefinitionRow> {
    return ctx.services.definitions.create(viewerOf(ctx).id, input);
  }

  @Mutation(() => KpiDefinition)
  updateKpiDefinition(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateKpiDefinitionInput) input: UpdateKpiDefinitionInput,
    @Ctx() ctx: Context,
  ): Promise<KpiDefinitionRow> {
    return ctx.services.definitions.update(viewerOf(ctx).id, parseId(id), input);
  }

  @FieldResolver(() => User, { nullable: true })
  createdBy(@Root() definition: KpiDefinitionRow, @Ctx() ctx: Context) {
    return definition.createdBy === null ? null : ctx.loaders.userById.load(definition.createdBy);
  }
}
