import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { DateScalar, DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";

export enum RunStatus {
  QUEUED = "queued",
  RUNNING = "running",
  SUCCEEDED = "succeeded",
  PARTIAL = "partial",
  FAILED = "failed",
}
registerEnumType(RunStatus, {
  name: "RunStatus",
  valuesConfig: {
    PARTIAL: { description: "Finished; some calculations failed (listed in errors)." },
    FAILED: { description: "Finished; no calculation gave a result." },
  },
});

@ObjectType({ description: "One calculation run: on a schedule, on request, from a webhook or a backfill." })
export class CalculationRun {
  @Field(() => ID)
  id!: number;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => String, { description: 'What started it: "schedule:monthly", "manual", "webhook", "backfill", …' })
  trigger!: string;

  @Field(() => DateScalar, { nullable: true, description: "The period, when every KPI of the run has the same one." })
  periodStart!: string | null;

  @Field(() => DateScalar, { nullable: true })
  periodEnd!: string | null;

  @Field(() => Int)
  succeeded!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int, { description: 'Users without an account in the KPI\'s source ("skipped: no intercom id").' })
  skipped!: number;

  @Field(() => Int, { description: "Calculations with no defined value (e.g. a division by zero): stored without a value." })
  undefinedCount!: number;

  @Field(() => Int, { description: "Batches the run was split into." })
  batches!: number;

  @Field(() => JSONScalar, {
    nullable: true,
    description:
      "Per user and KPI, what did not give a value: { userId, userKpiId, kpiDefinitionId, outcome, message } (at most 1,000).",
  })
  errors!: unknown;

  @Field(() => DateTimeScalar, { nullable: true })
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;
}

@InputType()
export class CalculateInput {
  @Field(() => [ID], {
    nullable: true,
    description: "Limit the run to these; all active non-manual assignments when both are absent.",
  })
  userKpiIds?: string[] | null;

  @Field(() => ID, { nullable: true })
  kpiDefinitionId?: string | null;

  @Field(() => ID, { nullable: true })
  teamId?: string | null;

  @Field(() => DateScalar, {
    nullable: true,
    description: "Any date inside the period to calculate; the latest completed period when absent.",
  })
  periodContaining?: string | null;
}
