import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, teamMembers } from "../../src/db/schema/index.js";
import { buildTeam, buildUser, unique } from "../helpers/factories.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

let server: TestServer;
let world: RoleWorld;
let admin: string;

beforeAll(async () => ({ server, world, admin } = await startServerWithRoles()));
afterAll(() => server?.stop());

const CREATE = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id name manager { id } members { user { id } } } }`;
const ADD = `mutation($teamId: ID!, $userId: ID!) { addTeamMember(teamId: $teamId, userId: $userId) { id members { user { id name } } } }`;
const REMOVE = `mutation($teamId: ID!, $userId: ID!) { removeTeamMember(teamId: $teamId, userId: $userId) { id members { user { id } } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateTeamInput!) { updateTeam(id: $id, input: $input) { id name manager { id } } }`;

describe("createTeam", () => {
  it("creates a team with a manager", async () => {
    const manager = await buildUser(server.database.db, { role: "manager" });
    const name = unique("Support");
    const res = await server.gql(CREATE, { input: { name, managerId: String(manager.id) } }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.createTeam).toMatchObject({ name, manager: { id: String(manager.id) }, members: [] });
  });

  it("refuses a duplicate name, ignoring case, with CONFLICT", async () => {
    const res = await server.gql(CREATE, { input: { name: world.team.name.toUpperCase() } }, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  it("refuses a manager who has the USER role, and an unknown manager", async () => {
    const plainUser = await buildUser(server.database.db, { role: "user" });
    const notManager = await server.gql(CREATE, { input: { name: unique("T"), managerId: String(plainUser.id) } }, admin);
    expect(notManager.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "managerId" });
    const unknown = await server.gql(CREATE, { input: { name: unique("T"), managerId: "99999999" } }, admin);
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("refuses a blank name", async () => {
    const res = await server.gql(CREATE, { input: { name: "   " } }, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("team membership", () => {
  it("adds a member once however often it is asked, and audits it once", async () => {
    const team = await buildTeam(server.database.db);
    const member = await buildUser(server.database.db);
    for (let i = 0; i < 2; i++) {
      const res = await server.gql(ADD, { teamId: String(team.id), userId: String(member.id) }, admin);
      expect(res.data!.addTeamMember.members).toEqual([{ user: { id: String(member.id), name: member.name } }]);
    }
    const entries = await server.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityType, "team"), eq(auditLog.entityId, String(team.id))));
    expect(entries.map((entry) => entry.action)).toEqual(["team.add_member"]);
  });

  it("lets a user be a member of several teams", async () => {
    const member = await buildUser(server.database.db);
    const [a, b] = [await buildTeam(server.database.db), await buildTeam(server.database.db)];
    await server.gql(ADD, { teamId: String(a.id), userId: String(member.id) }, admin);
    await server.gql(ADD, { teamId: String(b.id), userId: String(member.id) }, admin);
    const res = await server.gql(`query($id: ID!) { user(id: $id) { teams { id } } }`, { id: String(member.id) }, admin);
    expect(res.data!.user.teams.map((t: { id: string }) => t.id).sort()).toEqual([String(a.id), String(b.id)].sort());
  });

  it("removes a member, and removing a non-member changes nothing", async () => {
    const member = await buildUser(server.database.db);
    const team = await buildTeam(server.database.db, { members: [member] });
    const res = await server.gql(REMOVE, { teamId: String(team.id), userId: String(member.id) }, admin);
    expect(res.data!.removeTeamMember.members).toEqual([]);
    const again = await server.gql(REMOVE, { teamId: String(team.id), userId: String(member.id) }, admin);
    expect(again.errors).toBeUndefined();
    expect(await server.database.db.select().from(teamMembers).where(eq(teamMembers.teamId, team.id))).toEqual([]);
  });

  it("answers NOT_FOUND for an unknown team or user", async () => {
    const team = await buildTeam(server.database.db);
    const unknownTeam = await server.gql(ADD, { teamId: "99999999", userId: String(world.users.user.id) }, admin);
    expect(unknownTeam.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const unknownUser = await server.gql(ADD, { teamId: String(team.id), userId: "99999999" }, admin);
    expect(unknownUser.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("updateTeam", () => {
  it("renames, changes and removes the manager", async () => {
    const team = await buildTeam(server.database.db);
    const newManager = await buildUser(server.database.db, { role: "manager" });
    const name = unique("Renamed");
    const changed = await server.gql(UPDATE, { id: String(team.id), input: { name, managerId: String(newManager.id) } }, admin);
    expect(changed.data!.updateTeam).toEqual({ id: String(team.id), name, manager: { id: String(newManager.id) } });
    const cleared = await server.gql(UPDATE, { id: String(team.id), input: { managerId: null } }, admin);
    expect(cleared.data!.updateTeam).toEqual({ id: String(team.id), name, manager: null });
  });

  it("gives the new manager the team's members at once, and takes them from the old one", async () => {
    const member = await buildUser(server.database.db);
    const oldManager = await buildUser(server.database.db, { role: "manager" });
    const newManager = await buildUser(server.database.db, { role: "manager" });
    const team = await buildTeam(server.database.db, { manager: oldManager, members: [member] });
    await server.gql(UPDATE, { id: String(team.id), input: { managerId: String(newManager.id) } }, admin);
    const query = `query($id: ID!) { user(id: $id) { email } }`;
    const asNew = await server.gql(query, { id: String(member.id) }, await server.jwt.sign(newManager));
    expect(asNew.data!.user.email).toBe(member.email);
    const asOld = await server.gql(query, { id: String(member.id) }, await server.jwt.sign(oldManager));
    expect(asOld.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("team and teams", () => {
  it("lists members by name with their users", async () => {
    const [b, a] = [
      await buildUser(server.database.db, { name: `B ${unique()}` }),
      await buildUser(server.database.db, { name: `A ${unique()}` }),
    ];
    const team = await buildTeam(server.database.db, { members: [b, a] });
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { name } } } }`,
      { id: String(team.id) },
      admin,
    );
    expect(res.data!.team.members.map((m: { user: { name: string } }) => m.user.name)).toEqual([a.name, b.name]);
  });

  it("answers NOT_FOUND to an admin asking for an unknown team", async () => {
    const res = await server.gql(`{ team(id: "99999999") { id } }`, {}, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(res.data?.team).toBeNull();
  });
});
