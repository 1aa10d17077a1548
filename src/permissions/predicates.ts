import { rule } from "graphql-shield";
import type { Context } from "../graphql/context.js";

/**
 * Small named predicates; rules.ts combines them per field. Rules that depend on the parent or the
 * arguments are not cached by graphql-shield (its "strict" cache hashes whole objects, which costs
 * more than the check); the expensive part, who the viewer manages, is memoised per request in Access.
 */

const idArg = (value: unknown): number | null =>
  typeof value === "string" && /^\d{1,10}$/.test(value) ? Number(value) : typeof value === "number" ? value : null;

export const isAuthenticated = rule("isAuthenticated", { cache: "contextual" })(
  (_parent, _args, ctx: Context) => ctx.viewer !== null,
);

export const isAdmin = rule("isAdmin", { cache: "contextual" })((_parent, _args, ctx: Context) => ctx.access.isAdmin);

export const isManager = rule("isManager", { cache: "contextual" })((_parent, _args, ctx: Context) => ctx.access.isManager);

/** The user named by an argument is the viewer, a member of a team the viewer manages, or the viewer is an admin. */
export const canSeeUserArg = (arg: string) =>
  rule(`canSeeUserArg:${arg}`, { cache: "no_cache" })(async (_parent, args: Record<string, unknown>, ctx: Context) => {
    const id = idArg(args[arg]);
    return ctx.access.isAdmin || (id !== null && (await ctx.access.canSeePrivateDataOf(id)));
  });

/** The same for the User being resolved: guards e-mail, team memberships and figures. */
export const canSeeParentUser = rule("canSeeParentUser", { cache: "no_cache" })((parent: { id: number }, _args, ctx: Context) =>
  ctx.access.canSeePrivateDataOf(parent.id),
);

export const canViewTeamArg = (arg: string) =>
  rule(`canViewTeamArg:${arg}`, { cache: "no_cache" })(async (_parent, args: Record<string, unknown>, ctx: Context) => {
    const id = idArg(args[arg]);
    return ctx.access.isAdmin || (id !== null && (await ctx.access.canViewTeam(id)));
  });

export const canViewParentTeam = rule("canViewParentTeam", { cache: "no_cache" })((parent: { id: number }, _args, ctx: Context) =>
  ctx.access.canViewTeam(parent.id),
);

/** No `userId` argument (the viewer's own), the viewer's own id, or an admin. */
export const isSelfOrAdminByOptionalArg = (arg: string) =>
  rule(`isSelfOrAdminByOptionalArg:${arg}`, { cache: "no_cache" })((_parent, args: Record<string, unknown>, ctx: Context) => {
    if (!ctx.viewer) return false;
    const value = args[arg];
    return value === undefined || value === null || ctx.access.isAdmin || idArg(value) === ctx.viewer.id;
  });

export const ownsApiKeyArg = (arg: string) =>
  rule(`ownsApiKeyArg:${arg}`, { cache: "no_cache" })(async (_parent, args: Record<string, unknown>, ctx: Context) => {
    const id = idArg(args[arg]);
    return ctx.viewer !== null && id !== null && (await ctx.services.apiKeys.ownerOf(id)) === ctx.viewer.id;
  });
