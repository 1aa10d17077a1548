import { Arg, Ctx, Extensions, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { UserRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { userListScope } from "../../permissions/scopes.js";
import { viewerOf } from "../../permissions/viewer.js";
import { badInput, parseId } from "../../lib/errors.js";
import { boundedLimit } from "../../lib/limits.js";
import { AuditEntry } from "../audit/audit.type.js";
import { CreateUserInput, UpdateUserInput, UserFilter } from "./user.input.js";
import { ExternalId, User } from "./user.type.js";

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { description: "The authenticated user." })
  async me(@Ctx() ctx: Context): Promise<UserRow> {
    return ctx.services.users.require(viewerOf(ctx).id);
  }

  @Query(() => User, { nullable: true })
  async user(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<UserRow> {
    return ctx.services.users.require(parseId(id));
  }

  @Query(() => [User], { description: "Users by name: all for an admin, the members of their teams for a manager." })
  @Extensions({ listSize: 100 })
  async users(
    @Ctx() ctx: Context,
    @Arg("filter", () => UserFilter, { nullable: true }) filter?: UserFilter,
    @Arg("limit", () => Int, { nullable: true, defaultValue: 100 }) limit = 100,
    @Arg("offset", () => Int, { nullable: true, defaultValue: 0 }) offset = 0,
  ): Promise<UserRow[]> {
    if (offset < 0) throw badInput("offset", "must not be negative");
    return ctx.services.users.list({
      ...filter,
      within: await userListScope(ctx.access),
      limit: boundedLimit(limit, 1000),
      offset,
    });
  }

  @Mutation(() => User)
  createUser(@Arg("input", () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: Context): Promise<UserRow> {
    return ctx.services.users.create(viewerOf(ctx).id, input);
  }

  @Mutation(() => User, { description: "Renames, changes the role of, or (de)activates a user." })
  updateUser(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateUserInput) input: UpdateUserInput,
    @Ctx() ctx: Context,
  ): Promise<UserRow> {
    return ctx.services.users.update(viewerOf(ctx).id, parseId(id), input);
  }

  @Mutation(() => User, {
    description: 'Links a user to their account in an external source, e.g. provider "intercom" or "aircall".',
  })
  setUserExternalId(
    @Arg("userId", () => ID) userId: string,
    @Arg("provider", () => String) provider: string,
    @Arg("externalId", () => String) externalId: string,
    @Ctx() ctx: Context,
  ): Promise<UserRow> {
    return ctx.services.users.setExternalId(viewerOf(ctx).id, parseId(userId, "userId"), provider, externalId);
  }

  @FieldResolver(() => [ExternalId], { description: "Accounts in external data sources (admin)." })
  @Extensions({ listSize: 5 })
  externalIds(@Root() user: UserRow, @Ctx() ctx: Context) {
    return ctx.loaders.externalIdsByUserId.load(user.id);
  }
}

/** Who made an audited change: here rather than in the audit module, which every module writes to. */
@Resolver(() => AuditEntry)
export class AuditActorResolver {
  @FieldResolver(() => User, { nullable: true })
  actor(@Root() entry: AuditEntry, @Ctx() ctx: Context) {
    return entry.actorId === null ? null : ctx.loaders.userById.load(entry.actorId);
  }
}
