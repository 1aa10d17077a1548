import { Field, Float, Int, ObjectType } from "type-graphql";
import { KpiDefinition } from "../definition/definition.type.js";

@ObjectType()
export class KpiAverage {
  teamId!: number;
  kpiDefinitionId!: number;

  @Field(() => KpiDefinition)
  kpiDefinition?: KpiDefinition;

  @Field(() => Int, { description: "Members that have a measurement of this KPI in its latest period." })
  memberCount!: number;

  @Field(() => Float, { nullable: true })
  averageActualValue!: number | null;

  @Field(() => Float, { nullable: true })
  averageAchievementPercentage!: number | null;
}

@ObjectType()
export class TeamAverages {
  teamId!: number;

  @Field(() => Float, {
    nullable: true,
    description: "Average of the members' overall scores (members without one are left out).",
  })
  overallScore?: number | null;

  @Field(() => [KpiAverage], { description: "Per KPI of the team's members, the averages over its latest measured period." })
  kpiAverages?: KpiAverage[];
}
