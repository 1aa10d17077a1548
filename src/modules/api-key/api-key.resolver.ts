import { Arg, Ctx, Extensions, ID, Mutation, Query, Resolver } from "type-graphql";
import type { ApiKeyRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { viewerOf } from "../../permissions/viewer.js";
import { parseId } from "../../lib/errors.js";
import { ApiKey, ApiKeyCreated } from "./api-key.type.js";

@Resolver()
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: "API keys of the caller, or of any user for an admin." })
  @Extensions({ listSize: 20 })
  apiKeys(@Ctx() ctx: Context, @Arg("userId", () => ID, { nullable: true }) userId?: string): Promise<ApiKeyRow[]> {
    return ctx.services.apiKeys.listForUser(userId ? parseId(userId, "userId") : viewerOf(ctx).id);
  }

  @Mutation(() => ApiKeyCreated, {
    description: "A long-lived bearer token that acts as the calling user, for scripts and BI tools.",
  })
  createApiKey(@Arg("name", () => String) name: string, @Ctx() ctx: Context) {
    return ctx.services.apiKeys.create(viewerOf(ctx).id, name);
  }

  @Mutation(() => ApiKey, { description: "Revokes a key at once; its owner or an admin may." })
  revokeApiKey(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<ApiKeyRow> {
    return ctx.services.apiKeys.revoke(viewerOf(ctx).id, parseId(id));
  }
}
