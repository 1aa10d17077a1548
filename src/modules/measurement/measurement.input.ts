import { IsOptional, Length } from "class-validator";
import { Field, Float, InputType } from "type-graphql";
import { DateScalar } from "../../graphql/scalars.js";

@InputType()
export class RecordMeasurementInput {
  @Field(() => Float)
  actualValue!: number;

  @Field(() => DateScalar)
  periodStart!: string;

  @Field(() => DateScalar)
  periodEnd!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 2000)
  notes?: string | null;
}
