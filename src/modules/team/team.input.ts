import { IsOptional, Length } from "class-validator";
import { Field, ID, InputType } from "type-graphql";

@InputType()
export class CreateTeamInput {
  @Field(() => String)
  @Length(1, 200)
  name!: string;

  @Field(() => ID, { nullable: true, description: "A user with the MANAGER (or ADMIN) role." })
  managerId?: string | null;
}

@InputType()
export class UpdateTeamInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  name?: string;

  @Field(() => ID, { nullable: true, description: "The new manager; null removes the manager." })
  managerId?: string | null;
}
