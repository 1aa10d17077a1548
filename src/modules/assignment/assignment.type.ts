import { Field, Float, ID, ObjectType } from "type-graphql";
import { DateScalar, DateTimeScalar } from "../../graphql/scalars.js";

@ObjectType({ description: "A KPI assigned to a user, with its target and weight." })
export class UserKpi {
  @Field(() => ID)
  id!: number;

  userId!: number;
  kpiDefinitionId!: number;
  assignedBy!: number | null;

  @Field(() => Float)
  targetValue!: number;

  @Field(() => Float, { description: "Importance, 0 to 100." })
  weight!: number;

  @Field(() => DateScalar)
  startDate!: string;

  @Field(() => DateScalar, { nullable: true, description: "Last day of the assignment (inclusive); null while ongoing." })
  endDate!: string | null;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => DateTimeScalar)
  assignedAt!: Date;
}

@ObjectType()
export class BulkAssignResult {
  @Field(() => [UserKpi], { description: "Assignments that this call created." })
  created!: UserKpi[];

  @Field(() => [UserKpi], {
    description: "Assignments that already existed with the same user, definition and start date, left as they were.",
  })
  existing!: UserKpi[];
}
