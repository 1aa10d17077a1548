import { Arg, Ctx, Int, Query, Resolver } from "type-graphql";
import type { Context } from "../../graphql/context.js";
import { AuditEntry } from "./audit.type.js";
import { boundedLimit } from "../../lib/limits.js";

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => [AuditEntry], { description: "The audit log, newest first (admin)." })
  async auditLog(
    @Ctx() ctx: Context,
    @Arg("entityType", () => String, { nullable: true }) entityType?: string,
    @Arg("entityId", () => String, { nullable: true }) entityId?: string,
    @Arg("limit", () => Int, { nullable: true, defaultValue: 100 }) limit = 100,
  ): Promise<AuditEntry[]> {
    return ctx.services.audit.list({ entityType, entityId, limit: boundedLimit(limit, 1000) });
  }
}
