import { IsBoolean, IsOptional, Length } from "class-validator";
import { Field, InputType } from "type-graphql";
import { JSONScalar } from "../../graphql/scalars.js";
import { AggregationPeriod, CalculationType, TargetType } from "./definition.type.js";

const ADDITIVE_INPUT =
  "Whether values add up over a period (counts, revenue). Default: true for the units count and currency (or a currency code or sign), false otherwise.";
@InputType()
export class KpiDefinitionFilter {
  @Field(() => String, { nullable: true })
  category?: string;

  @Field(() => CalculationType, { nullable: true })
  calculationType?: CalculationType;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean;
}

@InputType()
export class CreateKpiDefinitionInput {
  @Field(() => String)
  @Length(1, 255)
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 10_000)
  description?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  category?: string;

  @Field(() => CalculationType)
  calculationType!: CalculationType;

  @Field(() => JSONScalar, { nullable: true })
  dataSource?: unknown;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 50)
  unit?: string;

  @Field(() => Boolean, { nullable: true, description: ADDITIVE_INPUT })
  @IsOptional()
  @IsBoolean()
  additive?: boolean;

  @Field(() => AggregationPeriod)
  aggregationPeriod!: AggregationPeriod;

  @Field(() => TargetType)
  targetType!: TargetType;
}

@InputType({
  description: "Changing how a definition is calculated is refused once it has measurements: archive it and create a new one.",
})
export class UpdateKpiDefinitionInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 255)
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 10_000)
  description?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  category?: string;

  @Field(() => JSONScalar, { nullable: true })
  dataSource?: unknown;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 50)
  unit?: string;

  @Field(() => Boolean, { nullable: true, description: "See KpiDefinition.additive." })
  @IsOptional()
  @IsBoolean()
  additive?: boolean;

  @Field(() => TargetType, { nullable: true })
  targetType?: TargetType;

  @Field(() => AggregationPeriod, { nullable: true })
  aggregationPeriod?: AggregationPeriod;

  @Field(() => Boolean, { nullable: true, description: "false archives the definition." })
  @IsOptional()
  @IsBoolean()
  isActive?: boolean;
}
