import {
  Arg,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from "type-graphql";
import type { UserKpiRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { viewerOf } from "../../permissions/viewer.js";
import { DateScalar } from "../../graphql/scalars.js";
import { badInput, notFound, parseId } from "../../lib/errors.js";
import { boundedLimit } from "../../lib/limits.js";
import type { LiveTopics, MeasurementRecordedEvent } from "../../live/topics.js";
import { UserKpi } from "../assignment/assignment.type.js";
import { User } from "../user/user.type.js";
import { RecordMeasurementInput } from "./measurement.input.js";
import { KpiMeasurement } from "./measurement.type.js";

export const MAX_TREND_PERIODS = 60;
export const MAX_HISTORY = 1000;

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

/** An assignment's measurements: here rather than in the assignment module, which this module builds on. */
@Resolver(() => UserKpi)
export class UserKpiMeasurementsResolver {
  @FieldResolver(() => KpiMeasurement, { nullable: true, description: "The measurement of the latest period that has one." })
  async currentMeasurement(@Root() assignment: UserKpiRow, @Ctx() ctx: Context) {
    const [latest] = await ctx.loaders.latestMeasurements.load({ id: assignment.id, options: 1 });
    return latest ?? null;
  }

  @FieldResolver(() => [KpiMeasurement], { description: "The latest `periods` measurements, oldest first." })
  async trend(
    @Root() assignment: UserKpiRow,
    @Ctx() ctx: Context,
    @Arg("periods", () => Int, { nullable: true, defaultValue: 6 }) periods: number,
  ) {
    const count = boundedLimit(periods, MAX_TREND_PERIODS, "periods");
    const newestFirst = await ctx.loaders.latestMeasurements.load({ id: assignment.id, options: count });
    return [...newestFirst].reverse();
  }

  @FieldResolver(() => [KpiMeasurement], { description: "Measurements, newest first, within [from, to)." })
  history(
    @Root() assignment: UserKpiRow,
    @Ctx() ctx: Context,
    @Arg("from", () => DateScalar, { nullable: true }) from?: string | null,
    @Arg("to", () => DateScalar, { nullable: true }) to?: string | null,
    @Arg("limit", () => Int, { nullable: true, defaultValue: 100 }) limit = 100,
  ) {
    if (from && to && to <= from) throw badInput("to", "must be after from");
    return ctx.loaders.measurementHistory.load({
      id: assignment.id,
      options: { from: from ?? null, to: to ?? null, limit: boundedLimit(limit, MAX_HISTORY) },
    });
  }
}
