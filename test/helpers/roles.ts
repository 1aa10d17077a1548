import type { UserRow, TeamRow } from "../../src/db/schema/index.js";
import { buildTeam, buildUser } from "./factories.js";
import { startTestServer, type TestServer } from "./server.js";

/**
 * The six roles every permission test walks (DEVELOPERS.md): nobody, the user concerned, another
 * user, the manager of the user's team, the manager of another team, and an admin.
 */
export type RoleName = "anonymous" | "user" | "otherUser" | "teamManager" | "otherManager" | "admin";
export const ROLE_NAMES: RoleName[] = ["anonymous", "user", "otherUser", "teamManager", "otherManager", "admin"];

export interface RoleWorld {
  users: Record<Exclude<RoleName, "anonymous">, UserRow>;
  /** The team of `user`, managed by `teamManager`. */
  team: TeamRow;
  /** The team of `otherUser`, managed by `otherManager`. */
  otherTeam: TeamRow;
  tokens: Record<RoleName, string | null>;
}

export async function createRoleWorld(server: TestServer): Promise<RoleWorld> {
  const db = server.database.db;
  const [user, otherUser, teamManager, otherManager, admin] = await Promise.all([
    buildUser(db, { role: "user" }),
    buildUser(db, { role: "user" }),
    buildUser(db, { role: "manager" }),
    buildUser(db, { role: "manager" }),
    buildUser(db, { role: "admin" }),
  ]);
  const team = await buildTeam(db, { manager: teamManager, members: [user!] });
  const otherTeam = await buildTeam(db, { manager: otherManager, members: [otherUser!] });
  const users = { user: user!, otherUser: otherUser!, teamManager: teamManager!, otherManager: otherManager!, admin: admin! };
  const tokens = { anonymous: null } as Record<RoleName, string | null>;
  for (const [name, row] of Object.entries(users)) tokens[name as RoleName] = await server.jwt.sign(row);
  return { users, team, otherTeam, tokens };
}

/** A started test server with its role world, and the admin's token for the common case. */
export async function startServerWithRoles(env: Record<string, string> = {}) {
  const server = await startTestServer(env);
  const world = await createRoleWorld(server);
  return { server, world, admin: world.tokens.admin! };
}
