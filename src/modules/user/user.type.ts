import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";

export enum Role {
  USER = "user",
  MANAGER = "manager",
  ADMIN = "admin",
}
registerEnumType(Role, { name: "Role" });

@ObjectType({ description: "A person whose KPIs are tracked, or who manages or administers them." })
export class User {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "Visible to the user, the managers of their teams and admins." })
  email!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType({ description: "The user's account in an external data source, e.g. Intercom or Aircall." })
export class ExternalId {
  @Field(() => String)
  provider!: string;

  @Field(() => String)
  externalId!: string;
}
