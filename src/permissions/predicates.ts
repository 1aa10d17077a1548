import { rule } from "graphql-shield";
import type { Context } from "../graphql/context.js";
import { asId } from "../lib/errors.js";
import { mayViewTeam, maySeeFiguresOf, maySeeUser } from "./decisions.js";
import { bulkAssignDecision, reportIdsOf } from "./scopes.js";

/**
 * Small named predicates; rules.ts combines them per field. Rules that depend on the parent or the
 * arguments are not cached by graphql-shield (its "strict" cache hashes whole objects, which costs
 * more than the check); the expensive part, who the viewer manages, is memoised per request in Access.
 */

export const isAuthenticated = rule("isAuthenticated", { cache: "contextual" })(
  (_parent, _args, ctx: Context) => ctx.viewer !== null,
);

export const isAdmin = rule("isAdmin", { cache: "contextual" })((_parent, _args, ctx: Context) => ctx.access.isAdmin);

/** Demo sign-in is on: demo data in use, or DEMO_SIGN_IN set (src/main.ts). */
export const demoSignInEnabled = rule("demoSignInEnabled", { cache: "contextual" })(
  (_parent, _args, ctx: Context) => ctx.services.session.demoEnabled,
);

export const isManager = rule("isManager", { cache: "contextual" })((_parent, _args, ctx: Context) => ctx.access.isManager);

/** The user named by an argument is the viewer, a member of a team the viewer manages, or the viewer is an admin. */
export const canSeeUserArg = (arg: string) =>
  rule(`canSeeUserArg:${arg}`, { cache: "no_cache" })((_parent, args: Record<string, unknown>, ctx: Context) =>
    maySeeUser(ctx.access, args[arg]),
  );

/** The same for the User being resolved: guards e-mail, team memberships and figures. */
export const canSeeParentUser = rule("canSeeParentUser", { cache: "no_cache" })((parent: { id: number }, _args, ctx: Context) =>
  ctx.access.canSeePrivateDataOf(parent.id),
);

export const canViewTeamArg = (arg: string) =>
  rule(`canViewTeamArg:${arg}`, { cache: "no_cache" })((_parent, args: Record<string, unknown>, ctx: Context) =>
    mayViewTeam(ctx.access, args[arg]),
  );

export const canViewParentTeam = rule("canViewParentTeam", { cache: "no_cache" })((parent: { id: number }, _args, ctx: Context) =>
  ctx.access.canViewTeam(parent.id),
);

/** Admins, and the manager of the team the argument names: who hears of its alerts. */
export const managesTeamArg = (arg: string) =>
  rule(`managesTeamArg:${arg}`, { cache: "no_cache" })(async (_parent, args: Record<string, unknown>, ctx: Context) => {
    const id = asId(args[arg]);
    return ctx.access.isAdmin || (id !== undefined && (await ctx.access.managesTeam(id)));
  });

export const managesParentTeam = rule("managesParentTeam", { cache: "no_cache" })((parent: { id: number }, _args, ctx: Context) =>
  ctx.access.managesTeam(parent.id),
);

/** No `userId` argument (the viewer's own), the viewer's own id, or an admin. */
export const isSelfOrAdminByOptionalArg = (arg: string) =>
  rule(`isSelfOrAdminByOptionalArg:${arg}`, { cache: "no_cache" })((_parent, args: Record<string, unknown>, ctx: Context) => {
    if (!ctx.viewer) return false;
    const value = args[arg];
    return value === undefined || value === null || ctx.access.isAdmin || asId(value) === ctx.viewer.id;
  });

export const ownsApiKeyArg = (arg: string) =>
  rule(`ownsApiKeyArg:${arg}`, { cache: "no_cache" })(async (_parent, args: Record<string, unknown>, ctx: Context) => {
    const id = asId(args[arg]);
    return ctx.viewer !== null && id !== undefined && (await ctx.services.apiKeys.ownerOf(id)) === ctx.viewer.id;
  });

/**
 * The viewer may manage the user's KPIs: an admin, or the manager of a team the user belongs to —
 * never for themselves, so no manager sets their own targets or rates their own work (admins, who
 * administer everything, may).
 */
async function canManageUser(ctx: Context, userId: number | null): Promise<boolean> {
  if (ctx.access.isAdmin) return true;
  return userId !== null && (await reportIdsOf(ctx.access)).has(userId);
}

async function ownerOfUserKpi(ctx: Context, value: unknown): Promise<number | null> {
  const id = asId(value);
  if (id === undefined) return null;
  return (await ctx.loaders.userKpiById.load(id))?.userId ?? null;
}

export const canManageUserArg = (arg: string) =>
  rule(`canManageUserArg:${arg}`, { cache: "no_cache" })((_parent, args: Record<string, unknown>, ctx: Context) =>
    canManageUser(ctx, asId(args[arg]) ?? null),
  );

/** For arguments naming an assignment: the viewer may manage the assignment's user. */
export const canManageUserKpiArg = (arg: string) =>
  rule(`canManageUserKpiArg:${arg}`, { cache: "no_cache" })(
    async (_parent, args: Record<string, unknown>, ctx: Context) =>
      ctx.access.isAdmin || canManageUser(ctx, await ownerOfUserKpi(ctx, args[arg])),
  );

/** For arguments naming an assignment: the viewer may see the assignment's user's figures. */
export const canSeeUserKpiArg = (arg: string) =>
  rule(`canSeeUserKpiArg:${arg}`, { cache: "no_cache" })(async (_parent, args: Record<string, unknown>, ctx: Context) => {
    if (ctx.access.isAdmin) return true;
    const owner = await ownerOfUserKpi(ctx, args[arg]);
    return owner !== null && ctx.access.canSeePrivateDataOf(owner);
  });

/** A team member's figures: the member themselves, their manager, or an admin. */
export const canSeeParentMember = rule("canSeeParentMember", { cache: "no_cache" })(
  (parent: { userId: number }, _args, ctx: Context) => maySeeFiguresOf(ctx.access, parent.userId),
);

/** Bulk assignment: scopes.ts bulkAssignDecision (an admin, or a manager within their reports). */
export const canBulkAssign = rule("canBulkAssign", { cache: "no_cache" })(
  (_parent, args: { input?: { userIds?: unknown[] | null; teamId?: unknown } }, ctx: Context) =>
    bulkAssignDecision(ctx.access, args.input ?? {}),
);
