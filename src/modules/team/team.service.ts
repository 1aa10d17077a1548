import type { Db, Tx } from "../../db/client.js";
import type { TeamRow } from "../../db/schema/index.js";
import { badInput, conflict, conflictOnUnique, notFound, requireText } from "../../lib/errors.js";
import { appendAudit } from "../audit/audit.store.js";
import { findUser } from "../user/user.store.js";
import { deleteMember, findTeam, insertMember, insertTeam, isMember, listTeams, updateTeam } from "./team.store.js";

export interface TeamChanges {
  name?: string;
  /** null removes the manager; undefined leaves it. */
  managerId?: number | null;
}

const auditedFields = (team: TeamRow) => ({ name: team.name, managerId: team.managerId });

export class TeamService {
  constructor(private readonly db: Db) {}

  get(id: number): Promise<TeamRow | undefined> {
    return findTeam(this.db, id);
  }

  async require(id: number): Promise<TeamRow> {
    const team = await findTeam(this.db, id);
    if (!team) throw notFound("Team", id);
    return team;
  }

  list(within?: Set<number>): Promise<TeamRow[]> {
    return listTeams(this.db, within);
  }

  async create(actorId: number, input: { name: string; managerId?: number | null }): Promise<TeamRow> {
    const name = requireText(input.name, "name");
    return conflictOnUnique(
      "teams_name_unique",
      () => nameTaken(name),
      () =>
        this.db.transaction(async (tx) => {
          if (input.managerId != null) await requireManager(tx, input.managerId);
          const team = await insertTeam(tx, { name, managerId: input.managerId ?? null });
          await appendAudit(tx, {
            actorId,
            action: "team.create",
            entityType: "team",
            entityId: team.id,
            after: auditedFields(team),
          });
          return team;
        }),
    );
  }

  async update(actorId: number, id: number, changes: TeamChanges): Promise<TeamRow> {
    const name = changes.name === undefined ? undefined : requireText(changes.name, "name");
    return conflictOnUnique(
      "teams_name_unique",
      () => nameTaken(name ?? ""),
      () =>
        this.db.transaction(async (tx) => {
          const before = await findTeam(tx, id);
          if (!before) throw notFound("Team", id);
          if (changes.managerId != null) await requireManager(tx, changes.managerId);
          const after = await updateTeam(tx, id, { name, managerId: changes.managerId, updatedAt: new Date() });
          await appendAudit(tx, {
            actorId,
            action: "team.update",
            entityType: "team",
            entityId: id,
            before: auditedFields(before),
            after: auditedFields(after),
          });
          return after;
        }),
    );
  }

  /** Idempotent: adding a member twice leaves one membership and one audit entry. */
  async addMember(actorId: number, teamId: number, userId: number): Promise<TeamRow> {
    return this.db.transaction(async (tx) => {
      const team = await this.requireTeamAndUser(tx, teamId, userId);
      if (await insertMember(tx, teamId, userId)) {
        await appendAudit(tx, { actorId, action: "team.add_member", entityType: "team", entityId: teamId, after: { userId } });
      }
      return team;
    });
  }

  /** Idempotent: removing a user who is not a member changes nothing. */
  async removeMember(actorId: number, teamId: number, userId: number): Promise<TeamRow> {
    return this.db.transaction(async (tx) => {
      const team = await this.requireTeamAndUser(tx, teamId, userId);
      if (await isMember(tx, teamId, userId)) {
        await deleteMember(tx, teamId, userId);
        await appendAudit(tx, {
          actorId,
          action: "team.remove_member",
          entityType: "team",
          entityId: teamId,
          before: { userId },
        });
      }
      return team;
    });
  }

  private async requireTeamAndUser(tx: Tx, teamId: number, userId: number): Promise<TeamRow> {
    const team = await findTeam(tx, teamId);
    if (!team) throw notFound("Team", teamId);
    if (!(await findUser(tx, userId))) throw notFound("User", userId);
    return team;
  }
}

const nameTaken = (name: string) => conflict(`A team named "${name}" already exists`, { field: "name" });

async function requireManager(tx: Tx, managerId: number): Promise<void> {
  const manager = await findUser(tx, managerId);
  if (!manager) throw notFound("User", managerId);
  if (manager.role === "user") {
    throw badInput("managerId", `user ${managerId} has the USER role; give them the MANAGER role first`);
  }
  if (!manager.isActive) throw badInput("managerId", `user ${managerId} is deactivated`);
}
