import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { Context } from "../../graphql/context.js";
import { DateScalar } from "../../graphql/scalars.js";
import { parseId } from "../../lib/errors.js";
import { CreateKpiDefinitionInput } from "../definition/definition.input.js";
import { KpiMeasurement } from "../measurement/measurement.type.js";
import { CalculationPreview } from "./calculation.type.js";

@Resolver()
export class CalculationResolver {
  @Mutation(() => KpiMeasurement, { description: "Calculates one assignment now and returns the stored measurement." })
  calculateUserKpi(
    @Arg("userKpiId", () => ID) userKpiId: string,
    @Ctx() ctx: Context,
    @Arg("periodContaining", () => DateScalar, {
      nullable: true,
      description: "Any date inside the period to calculate; the latest completed period when absent.",
    })
    periodContaining?: string | null,
  ): Promise<KpiMeasurement> {
    return ctx.services.calculations.calculateUserKpi(parseId(userKpiId, "userKpiId"), periodContaining);
  }

  @Mutation(() => CalculationPreview, {
    description:
      "Runs a definition that is not saved yet for a user and period, so an admin can test it before anyone is scored by it.",
  })
  previewKpiDefinition(
    @Arg("input", () => CreateKpiDefinitionInput) input: CreateKpiDefinitionInput,
    @Arg("userId", () => ID) userId: string,
    @Ctx() ctx: Context,
    @Arg("periodContaining", () => DateScalar, { nullable: true }) periodContaining?: string | null,
  ): Promise<CalculationPreview> {
    return ctx.services.calculations.preview(input, parseId(userId, "userId"), periodContaining);
  }
}
