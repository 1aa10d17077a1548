import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import type { Context } from "../../graphql/context.js";
import { viewerOf } from "../../permissions/viewer.js";
import { notFound, parseId } from "../../lib/errors.js";
import type { LiveTopics, MeasurementRecordedEvent } from "../../live/topics.js";
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
    return ctx.services.measurements.recordManual(viewerOf(ctx).id, parseId(userKpiId, "userKpiId"), input);
  }

  @Subscription(() => KpiMeasurement, {
    topics: "measurementRecorded" satisfies keyof LiveTopics,
    topicId: ({ args }: SubscribeResolverData<unknown, { userId: string }>) => parseId(args.userId, "userId"),
    description:
      "Each measurement stored for the user from now on: recorded by hand, calculated, or written by a run, in any server process. " +
      "The user, their managers and admins; over WebSocket (graphql-ws) at the GraphQL path.",
  })
  async measurementRecorded(
    @Arg("userId", () => ID) userId: string,
    @Root() event: MeasurementRecordedEvent,
    @Ctx() ctx: Context,
  ): Promise<KpiMeasurement> {
    const { userKpiId, periodStart, periodEnd } = event;
    const measurement = await ctx.loaders.measurementOfUser.load({
      userId: parseId(userId, "userId"),
      userKpiId,
      periodStart,
      periodEnd,
    });
    // Only for an event that names no measurement of this user: one not sent by us, or a row deleted since.
    if (!measurement) throw notFound("KpiMeasurement", `${userKpiId}/${periodStart}`);
    return measurement;
  }

  @FieldResolver(() => User, { nullable: true, description: "Null for automated calculations." })
  calculatedBy(@Root() measurement: KpiMeasurement, @Ctx() ctx: Context) {
    return measurement.calculatedById === null ? null : ctx.loaders.userById.load(measurement.calculatedById);
  }
}
