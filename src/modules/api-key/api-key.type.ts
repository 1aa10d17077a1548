import { Field, ID, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";

@ObjectType({ description: "A long-lived bearer token for scripts and BI tools; only its prefix is shown after creation." })
export class ApiKey {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "The public start of the token, to tell keys apart." })
  prefix!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType()
export class ApiKeyCreated {
  @Field(() => String, { description: "Shown once; only a hash is stored." })
  token!: string;

  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;
}
