import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";
import { User } from "../user/user.type.js";

export enum CalculationType {
  MANUAL = "manual",
  QUERY = "query",
  API = "api",
  FORMULA = "formula",
}
registerEnumType(CalculationType, { name: "CalculationType" });

export enum AggregationPeriod {
  DAILY = "daily",
  WEEKLY = "weekly",
  MONTHLY = "monthly",
  QUARTERLY = "quarterly",
}
registerEnumType(AggregationPeriod, { name: "AggregationPeriod" });

export enum TargetType {
  HIGHER_BETTER = "higher_better",
  LOWER_BETTER = "lower_better",
  EXACT = "exact",
}
registerEnumType(TargetType, { name: "TargetType" });

@ObjectType({ description: "The values a MANUAL KPI accepts, both ends included." })
export class ValueRange {
  @Field(() => Number)
  min!: number;

  @Field(() => Number)
  max!: number;
}

@ObjectType({ description: "A KPI template: what is measured, how, and over which period." })
export class KpiDefinition {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true })
  category!: string | null;

  @Field(() => CalculationType)
  calculationType!: CalculationType;

  @Field(() => JSONScalar, {
    nullable: true,
    description: "Source configuration (query, adapter settings, formula and inputs, allowed range). Admin only.",
  })
  dataSource!: Record<string, unknown> | null;

  @Field(() => String, { nullable: true })
  unit!: string | null;

  @Field(() => Boolean, {
    description:
      "Values add up over a period (counts, revenue): forecasts scale the period-to-date value. Otherwise (averages, rates) they follow the trend of the last periods.",
  })
  additive!: boolean;

  @Field(() => AggregationPeriod)
  aggregationPeriod!: AggregationPeriod;

  @Field(() => TargetType)
  targetType!: TargetType;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => User, { nullable: true })
  createdBy?: User | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}
