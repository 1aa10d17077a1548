import { Field, Float, Int, ObjectType } from "type-graphql";
import type { CalculationRunRow } from "../../db/schema/index.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { AggregationPeriod } from "../definition/definition.type.js";
import { CalculationRun } from "./run.type.js";

@ObjectType({ description: "The latest run of one aggregation period's schedule." })
export class ScheduledRunStatus {
  @Field(() => AggregationPeriod)
  aggregationPeriod!: AggregationPeriod;

  @Field(() => CalculationRun, { nullable: true, description: "None before the schedule first fires." })
  lastRun!: CalculationRunRow | null;
}

@ObjectType({ description: "Totals over the runs that finished in a time window." })
export class CalculationTotals {
  @Field(() => Int)
  runs!: number;

  @Field(() => Int, { description: "Runs that ended FAILED." })
  failedRuns!: number;

  @Field(() => Int, { description: "Runs that ended PARTIAL." })
  partialRuns!: number;

  @Field(() => Int)
  succeeded!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int)
  skipped!: number;

  @Field(() => Int)
  undefinedCount!: number;

  @Field(() => Float, {
    nullable: true,
    description: "Failed calculations as a share (0 to 1) of all calculations of these runs; null when there were none.",
  })
  failureRate!: number | null;
}

@ObjectType({ description: "Jobs in the job store: due and waiting for a worker, and being worked on." })
export class JobQueueDepth {
  @Field(() => Int)
  queued!: number;

  @Field(() => Int)
  running!: number;
}

@ObjectType({ description: "Whether calculations are running as they should: for dashboards and on-call admins." })
export class CalculationHealth {
  @Field(() => [ScheduledRunStatus], { description: "The latest scheduled run of each aggregation period." })
  schedules!: ScheduledRunStatus[];

  @Field(() => CalculationTotals, { description: "The runs that finished in the last 24 hours." })
  lastDay!: CalculationTotals;

  @Field(() => Int, { description: "Runs queued or running now." })
  unfinishedRuns!: number;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the oldest unfinished run was requested: one waiting for long points at stopped workers.",
  })
  oldestUnfinishedRunAt!: Date | null;

  @Field(() => JobQueueDepth)
  jobQueue!: JobQueueDepth;
}
