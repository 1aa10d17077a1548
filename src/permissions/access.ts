import { eq } from "drizzle-orm";
import type { Viewer } from "../auth/authenticate.js";
import type { Db } from "../db/client.js";
import { teamMembers, teams } from "../db/schema/index.js";

/**
 * What the viewer of one request may reach, computed lazily, once per request, one SQL statement per
 * question. Permission rules ask it; nothing here is shared between requests.
 */
export class Access {
  private managedTeams?: Promise<Set<number>>;
  private memberTeams?: Promise<Set<number>>;
  private managedUsers?: Promise<Set<number>>;

  constructor(
    private readonly db: Db,
    readonly viewer: Viewer | null,
  ) {}

  get isAdmin(): boolean {
    return this.viewer?.role === "admin";
  }

  get isManager(): boolean {
    return this.viewer?.role === "manager";
  }

  isSelf(userId: number): boolean {
    return this.viewer?.id === userId;
  }

  /** Teams whose manager is the viewer. Only a MANAGER manages: a demoted manager loses the rights at once. */
  managedTeamIds(): Promise<Set<number>> {
    this.managedTeams ??= this.isManager
      ? this.db
          .select({ id: teams.id })
          .from(teams)
          .where(eq(teams.managerId, this.viewer!.id))
          .then((rows) => new Set(rows.map((row) => row.id)))
      : Promise.resolve(new Set());
    return this.managedTeams;
  }

  memberTeamIds(): Promise<Set<number>> {
    this.memberTeams ??= this.viewer
      ? this.db
          .select({ id: teamMembers.teamId })
          .from(teamMembers)
          .where(eq(teamMembers.userId, this.viewer.id))
          .then((rows) => new Set(rows.map((row) => row.id)))
      : Promise.resolve(new Set());
    return this.memberTeams;
  }

  /** Members of the teams the viewer manages. */
  managedUserIds(): Promise<Set<number>> {
    this.managedUsers ??= this.isManager
      ? this.db
          .selectDistinct({ id: teamMembers.userId })
          .from(teamMembers)
          .innerJoin(teams, eq(teams.id, teamMembers.teamId))
          .where(eq(teams.managerId, this.viewer!.id))
          .then((rows) => new Set(rows.map((row) => row.id)))
      : Promise.resolve(new Set());
    return this.managedUsers;
  }

  async managesUser(userId: number): Promise<boolean> {
    return (await this.managedUserIds()).has(userId);
  }

  async managesTeam(teamId: number): Promise<boolean> {
    return (await this.managedTeamIds()).has(teamId);
  }

  /** Self, a manager of the user, or an admin: who may see a user's e-mail, teams and figures. */
  async canSeePrivateDataOf(userId: number): Promise<boolean> {
    return this.isAdmin || this.isSelf(userId) || (await this.managesUser(userId));
  }

  async canViewTeam(teamId: number): Promise<boolean> {
    if (this.isAdmin) return true;
    return (await this.managesTeam(teamId)) || (await this.memberTeamIds()).has(teamId);
  }

  /** Team ids the viewer may list: all for an admin (undefined), else managed and member teams. */
  async visibleTeamIds(): Promise<Set<number> | undefined> {
    if (this.isAdmin) return undefined;
    return new Set([...(await this.managedTeamIds()), ...(await this.memberTeamIds())]);
  }
}
