import { Field, Float, ID, ObjectType } from "type-graphql";
import { DateScalar, DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";
import type { Measurement, Snapshot } from "./measurement.store.js";

@ObjectType({ description: "The value of an assigned KPI for one period [periodStart, periodEnd)." })
export class KpiMeasurement implements Measurement {
  @Field(() => ID)
  id!: string;

  userKpiId!: number;
  calculatedById!: number | null;

  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => Float, { nullable: true })
  actualValue!: number | null;

  @Field(() => Float, { nullable: true, description: "The target as it was when this measurement was made." })
  targetValue!: number | null;

  @Field(() => Float, { nullable: true })
  achievementPercentage!: number | null;

  @Field(() => DateTimeScalar)
  calculatedAt!: Date;

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => JSONScalar, { nullable: true, description: "Source data, inputs and timings of the calculation (admin)." })
  calculationMetadata!: unknown;
}

@ObjectType({ description: "A user's overall score and per-KPI scores as they were on one day." })
export class KpiSnapshot implements Snapshot {
  userId!: number;

  @Field(() => DateScalar)
  snapshotDate!: string;

  @Field(() => Float, { nullable: true })
  overallScore!: number | null;

  @Field(() => JSONScalar)
  kpiScores!: unknown;
}
