import { Field, ID, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { User } from "../user/user.type.js";

@ObjectType({ description: "A group of users with one manager; a user may belong to several teams." })
export class Team {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  managerId!: number | null;

  @Field(() => User, { nullable: true })
  manager?: User | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType()
export class TeamMember {
  userId!: number;
  teamId!: number;

  @Field(() => User)
  user?: User;
}
