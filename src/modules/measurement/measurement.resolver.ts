import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import type { Context } from "../../graphql/context.js";
import { parseId } from "../../lib/errors.js";
import { User } from "../user/user.type.js";
import { RecordMeasurementInput } from "./measurement.input.js";
import { KpiMeasurement } from "./measurement.type.js";

@Resolver(() => KpiMeasurement)
export class MeasurementResolver {
  @Mutation(() => KpiMeasurement, {
    description: "Records (or replaces) the value of one period of a MANUAL KPI (the user's manager or an admin).",
  })
  recordMeasurement(
    @Arg("userKpiId", () => ID) userKpiId: string,
    @Arg("input", () => RecordMeasurementInput) input: RecordMeasurementInput,
    @Ctx() ctx: Context,
  ): Promise<KpiMeasurement> {
    return ctx.services.measurements.recordManual(ctx.viewer!.id, parseId(userKpiId, "userKpiId"), input);
  }

  @FieldResolver(() => User, { nullable: true, description: "Null for automated calculations." })
  calculatedBy(@Root() measurement: KpiMeasurement, @Ctx() ctx: Context) {
    return measurement.calculatedById === null ? null : ctx.loaders.userById.load(measurement.calculatedById);
  }
}
