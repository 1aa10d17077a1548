import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsOptional, Max, Min } from "class-validator";
import { Field, Float, ID, InputType } from "type-graphql";
import { DateScalar } from "../../graphql/scalars.js";

// What target_value numeric(10,2) holds.
const MAX_TARGET = 99_999_999.99;
export const MAX_BULK_USERS = 100_000;

@InputType()
export class AssignKpiInput {
  @Field(() => ID)
  kpiDefinitionId!: string;

  @Field(() => Float)
  @Min(-MAX_TARGET)
  @Max(MAX_TARGET)
  targetValue!: number;

  @Field(() => Float, { description: "Importance, 0 to 100." })
  @Min(0)
  @Max(100)
  weight!: number;

  @Field(() => DateScalar)
  startDate!: string;

  @Field(() => DateScalar, { nullable: true, description: "Last day (inclusive); omit for an ongoing assignment." })
  endDate?: string | null;
}

@InputType()
export class BulkAssignKpiInput {
  @Field(() => ID)
  kpiDefinitionId!: string;

  @Field(() => [ID], { nullable: true, description: "Either userIds or teamId (every current member of the team)." })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_USERS)
  userIds?: string[] | null;

  @Field(() => ID, { nullable: true })
  teamId?: string | null;

  @Field(() => Float)
  @Min(-MAX_TARGET)
  @Max(MAX_TARGET)
  targetValue!: number;

  @Field(() => Float)
  @Min(0)
  @Max(100)
  weight!: number;

  @Field(() => DateScalar)
  startDate!: string;

  @Field(() => DateScalar, { nullable: true })
  endDate?: string | null;
}

@InputType()
export class UpdateUserKpiInput {
  @Field(() => Float, { nullable: true })
  @IsOptional()
  @Min(-MAX_TARGET)
  @Max(MAX_TARGET)
  targetValue?: number;

  @Field(() => Float, { nullable: true })
  @IsOptional()
  @Min(0)
  @Max(100)
  weight?: number;

  @Field(() => DateScalar, { nullable: true, description: "A new last day; null makes the assignment ongoing." })
  endDate?: string | null;

  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean()
  isActive?: boolean;
}
