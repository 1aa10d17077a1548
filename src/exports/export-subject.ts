import type { Db } from "../db/client.js";
import { forbidden, notFound, parseId } from "../lib/errors.js";
import { findTeam, memberIdsOfTeam } from "../modules/team/team.store.js";
import { findUser } from "../modules/user/user.store.js";
import type { Access } from "../permissions/access.js";
import { mayViewTeam, maySeeFiguresOf, maySeeUser } from "../permissions/decisions.js";

/** Whose measurements an export holds, once the viewer's rights are settled. */
export type ExportSubject =
  { kind: "team"; team: { id: number; name: string }; userIds: number[] } | { kind: "user"; userId: number; userIds: number[] };

/**
 * A team export, decided as GraphQL decides `team(id) { members { kpis } }`: the team is refused
 * unless the viewer may view it (Query.team), and each current member's rows are included only if
 * the viewer may see that member's figures (TeamMember.kpis): a manager of the team gets everyone,
 * a plain member only their own rows. Refusals come before the lookup, so that only an admin learns
 * whether an id is malformed (400) or unknown (404).
 */
export async function teamExportSubject(db: Db, access: Access, rawId: string): Promise<ExportSubject> {
  if (!(await mayViewTeam(access, rawId))) throw forbidden();
  const id = parseId(rawId);
  const team = await findTeam(db, id);
  if (!team) throw notFound("Team", id);
  const members = await memberIdsOfTeam(db, id);
  const visible = await Promise.all(members.map((userId) => maySeeFiguresOf(access, userId)));
  return { kind: "team", team: { id: team.id, name: team.name }, userIds: members.filter((_, index) => visible[index]) };
}

/**
 * A user export, decided as `user(id) { kpis { history } }`: the user themselves, their manager or an
 * admin. The e-mail column needs the same right (User.email), so every exported row may carry it.
 */
export async function userExportSubject(db: Db, access: Access, rawId: string): Promise<ExportSubject> {
  if (!(await maySeeUser(access, rawId))) throw forbidden();
  const id = parseId(rawId);
  if (!(await findUser(db, id))) throw notFound("User", id);
  return { kind: "user", userId: id, userIds: [id] };
}
