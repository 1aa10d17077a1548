import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, users } from "../../src/db/schema/index.js";
import { buildUser, unique } from "../helpers/factories.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

let server: TestServer;
let world: RoleWorld;
let admin: string;

beforeAll(async () => ({ server, world, admin } = await startServerWithRoles()));
afterAll(() => server?.stop());

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { id name email role isActive } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id name role isActive } }`;
const SET_EXTERNAL = `mutation($userId: ID!, $provider: String!, $externalId: String!) {
  setUserExternalId(userId: $userId, provider: $provider, externalId: $externalId) { id externalIds { provider externalId } } }`;

describe("createUser", () => {
  it("creates a user with a lower-cased e-mail and audits it", async () => {
    const email = `${unique("New")}@Test.Example`;
    const res = await server.gql(CREATE, { input: { name: "  Nia New ", email, role: "MANAGER" } }, admin);
    expect(res.errors).toBeUndefined();
    const created = res.data!.createUser;
    expect(created).toMatchObject({ name: "Nia New", email: email.toLowerCase(), role: "MANAGER", isActive: true });
    // Ids of other entity types (assignments, teams) share the number: the entity type tells them apart.
    const audit = await server.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityType, "user"), eq(auditLog.entityId, created.id)));
    expect(audit.map((entry) => entry.action)).toEqual(["user.create"]);
    expect(audit[0]!.actorId).toBe(world.users.admin.id);
  });

  it("refuses a duplicate e-mail, whatever its case, with CONFLICT", async () => {
    const existing = await buildUser(server.database.db);
    const res = await server.gql(CREATE, { input: { name: "Twin", email: existing.email.toUpperCase(), role: "USER" } }, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(res.errors?.[0]?.message).toContain(existing.email);
  });

  it("refuses a malformed e-mail, naming the field, and stores nothing", async () => {
    const name = unique("Bad");
    const res = await server.gql(CREATE, { input: { name, email: "not-an-email", role: "USER" } }, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0]?.message).toMatch(/email/);
    expect(await server.database.db.select().from(users).where(eq(users.name, name))).toHaveLength(0);
  });

  it("refuses an unknown role and a wrongly typed variable as BAD_USER_INPUT", async () => {
    const unknownRole = await server.gql(CREATE, { input: { name: "X", email: `${unique()}@t.example`, role: "BOSS" } }, admin);
    expect(unknownRole.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const wrongType = await server.gql(CREATE, { input: { name: 42, email: true, role: "USER" } }, admin);
    expect(wrongType.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("refuses an empty name", async () => {
    const res = await server.gql(CREATE, { input: { name: "", email: `${unique()}@t.example`, role: "USER" } }, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.errors?.[0]?.message).toMatch(/name/);
  });
});

describe("updateUser", () => {
  it("renames, changes the role and deactivates, keeping before and after in the audit log", async () => {
    const target = await buildUser(server.database.db, { role: "user" });
    const res = await server.gql(
      UPDATE,
      { id: String(target.id), input: { name: "Renamed", role: "MANAGER", isActive: false } },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateUser).toMatchObject({ name: "Renamed", role: "MANAGER", isActive: false });
    const [entry] = await server.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityType, "user"), eq(auditLog.entityId, String(target.id))));
    expect(entry).toMatchObject({
      action: "user.update",
      before: { role: "user", isActive: true },
      after: { role: "manager", isActive: false },
    });
  });

  it("does not let an admin deactivate themselves or drop their own admin role", async () => {
    const me = world.users.admin;
    const deactivate = await server.gql(UPDATE, { id: String(me.id), input: { isActive: false } }, admin);
    expect(deactivate.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const demote = await server.gql(UPDATE, { id: String(me.id), input: { role: "USER" } }, admin);
    expect(demote.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const [row] = await server.database.db.select().from(users).where(eq(users.id, me.id));
    expect(row).toMatchObject({ role: "admin", isActive: true });
  });

  it("answers NOT_FOUND for an unknown user and BAD_USER_INPUT for a malformed id", async () => {
    const missing = await server.gql(UPDATE, { id: "99999999", input: { name: "Ghost" } }, admin);
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const malformed = await server.gql(UPDATE, { id: "abc", input: { name: "Ghost" } }, admin);
    expect(malformed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("setUserExternalId", () => {
  it("links, re-links and lists external accounts per provider", async () => {
    const target = await buildUser(server.database.db);
    const externalId = unique("ic");
    const first = await server.gql(SET_EXTERNAL, { userId: String(target.id), provider: "Intercom", externalId }, admin);
    expect(first.errors).toBeUndefined();
    expect(first.data!.setUserExternalId.externalIds).toEqual([{ provider: "intercom", externalId }]);
    const replaced = await server.gql(
      SET_EXTERNAL,
      { userId: String(target.id), provider: "intercom", externalId: `${externalId}-2` },
      admin,
    );
    expect(replaced.data!.setUserExternalId.externalIds).toEqual([{ provider: "intercom", externalId: `${externalId}-2` }]);
  });

  it("refuses an external id that belongs to another user with CONFLICT", async () => {
    const [a, b] = [await buildUser(server.database.db), await buildUser(server.database.db)];
    const externalId = unique("ac");
    await server.gql(SET_EXTERNAL, { userId: String(a.id), provider: "aircall", externalId }, admin);
    const res = await server.gql(SET_EXTERNAL, { userId: String(b.id), provider: "aircall", externalId }, admin);
    expect(res.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  it("refuses a malformed provider and an unknown user", async () => {
    const target = await buildUser(server.database.db);
    const badProvider = await server.gql(
      SET_EXTERNAL,
      { userId: String(target.id), provider: "no spaces!", externalId: "1" },
      admin,
    );
    expect(badProvider.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "provider" });
    const unknownUser = await server.gql(SET_EXTERNAL, { userId: "99999999", provider: "intercom", externalId: unique() }, admin);
    expect(unknownUser.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("user and users", () => {
  it("reads a user by id, with teams", async () => {
    const res = await server.gql(
      `query($id: ID!) { user(id: $id) { name teams { id name } } }`,
      { id: String(world.users.user.id) },
      admin,
    );
    expect(res.data!.user.teams).toEqual([{ id: String(world.team.id), name: world.team.name }]);
  });

  it("filters users by role and searches names", async () => {
    const name = unique("Searchable");
    await buildUser(server.database.db, { name, role: "manager" });
    const res = await server.gql(
      `query($filter: UserFilter) { users(filter: $filter) { name role } }`,
      { filter: { role: "MANAGER", search: name.slice(0, 14) } },
      admin,
    );
    expect(res.data!.users).toEqual([{ name, role: "MANAGER" }]);
  });

  it("bounds limit and offset", async () => {
    const tooMany = await server.gql(`{ users(limit: 5000) { id } }`, {}, admin);
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "limit" });
    const negative = await server.gql(`{ users(offset: -1) { id } }`, {}, admin);
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "offset" });
  });
});
