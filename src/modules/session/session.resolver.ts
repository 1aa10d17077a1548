import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { Context } from "../../graphql/context.js";
import { parseId } from "../../lib/errors.js";
import type { DemoAccount as DemoAccountRow, SignInOptions as SignInOptionsValue } from "./session.service.js";
import { DemoAccount, DemoSession, SignInOptions } from "./session.type.js";

@Resolver()
export class SessionResolver {
  @Query(() => SignInOptions, { description: "How people sign in to this server; asked before signing in." })
  signInOptions(@Ctx() ctx: Context): SignInOptionsValue {
    return ctx.services.session.options();
  }

  @Query(() => [DemoAccount], { description: "While demo sign-in is on: the people one can sign in as (at most 200)." })
  demoAccounts(@Ctx() ctx: Context): Promise<DemoAccountRow[]> {
    return ctx.services.session.demoAccounts();
  }

  @Mutation(() => DemoSession, { description: "While demo sign-in is on: a token for any active user, without a password." })
  demoSignIn(@Arg("userId", () => ID) userId: string, @Ctx() ctx: Context): Promise<DemoSession> {
    return ctx.services.session.demoSignIn(parseId(userId, "userId"));
  }
}
