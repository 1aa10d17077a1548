import { Field, ID, ObjectType } from "type-graphql";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";

@ObjectType({ description: "One change to an audited entity, with the state before and after it." })
export class AuditEntry {
  @Field(() => ID)
  id!: number;

  /** AuditEntry.actor is resolved by the user module (user.resolver.ts), so that audit depends on no other module. */
  actorId!: number | null;

  @Field(() => String)
  action!: string;

  @Field(() => String)
  entityType!: string;

  @Field(() => String)
  entityId!: string;

  @Field(() => JSONScalar, { nullable: true })
  before!: unknown;

  @Field(() => JSONScalar, { nullable: true })
  after!: unknown;

  @Field(() => DateTimeScalar)
  at!: Date;
}
