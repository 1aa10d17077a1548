import { asId } from "../lib/errors.js";
import type { Access } from "./access.js";

/**
 * Who may read whose figures, as plain functions of the request's Access: the GraphQL rules
 * (predicates.ts) and the export routes (src/exports/) ask the same questions here, so a download
 * can never show what the API would refuse.
 */

/**
 * Query.user: the viewer themselves, their manager, or an admin. Admins pass whatever the id, so
 * that they, and only they, learn that an id is malformed or unknown.
 */
export async function maySeeUser(access: Access, rawId: unknown): Promise<boolean> {
  const id = asId(rawId);
  return access.isAdmin || (id !== undefined && (await access.canSeePrivateDataOf(id)));
}

/** Query.team: the team's manager, a member, or an admin (who passes whatever the id, as above). */
export async function mayViewTeam(access: Access, rawId: unknown): Promise<boolean> {
  const id = asId(rawId);
  return access.isAdmin || (id !== undefined && (await access.canViewTeam(id)));
}

/** TeamMember.kpis and overallScore: a member's figures are for the member, their manager and admins. */
export function maySeeFiguresOf(access: Access, userId: number): Promise<boolean> {
  return access.canSeePrivateDataOf(userId);
}
