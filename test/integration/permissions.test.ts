import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/auth/api-key-token.js";
import { apiKeys, teamMembers, users, type KpiDefinitionRow, type TeamRow, type UserRow } from "../../src/db/schema/index.js";
import { buildDefinition, buildTeam, buildUser, unique } from "../helpers/factories.js";
import { createRoleWorld, ROLE_NAMES, type RoleName, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type GraphQLResponse, type TestServer } from "../helpers/server.js";

/**
 * Who may call what: every query and mutation of schema.graphql against the six roles of
 * test/helpers/roles.ts, then the guarded fields (e-mail, teams, members, externalIds, dataSource),
 * unknown and malformed ids, and the scoping of the list queries.
 */

let server: TestServer;
let world: RoleWorld;
/** A second member of `team` (role USER): the peer who sees `user`'s name but not their e-mail. */
let teammate: UserRow;
/** A team of `teammate` that `teamManager` does not manage. */
let sideTeam: TeamRow;
/** A definition created by `user`: the path by which a manager of another team reaches `user`. */
let definition: KpiDefinitionRow;

beforeAll(async () => {
  server = await startTestServer();
  world = await createRoleWorld(server);
  const db = server.database.db;
  teammate = await buildUser(db, { role: "user" });
  await db.insert(teamMembers).values({ teamId: world.team.id, userId: teammate.id });
  sideTeam = await buildTeam(db, { members: [teammate] });
  definition = await buildDefinition(db, { createdBy: world.users.user.id });
});
afterAll(() => server?.stop());

type Code = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT";
type Outcome = "ok" | Code;
/** Expected outcome per role, in the order of ROLE_NAMES. */
type Row = [anonymous: Outcome, user: Outcome, otherUser: Outcome, teamManager: Outcome, otherManager: Outcome, admin: Outcome];

const OK = "ok";
const ANON = "UNAUTHENTICATED";
const DENY = "FORBIDDEN";
const MISSING = "NOT_FOUND";
const BAD = "BAD_USER_INPUT";

const viewerId = (role: RoleName) => (role === "anonymous" ? null : String(world.users[role].id));
const id = (row: { id: number }) => String(row.id);

interface Case {
  /** The root field; allowed calls must return it non-null, denials must be at its path. */
  field: string;
  label?: string;
  doc: string;
  /** Variables, built per run: mutations get fresh names, e-mails, members and keys. */
  vars?: (role: RoleName) => Record<string, unknown> | Promise<Record<string, unknown>>;
  expect: Row;
  /** Further checks of an allowed call's result. */
  check?: (result: any, role: RoleName, vars: Record<string, any>) => void | Promise<void>;
  /** Undoes what the run set up or did, so that `team` keeps just its members `user` and `teammate`. */
  cleanup?: (vars: Record<string, any>) => Promise<void>;
}

async function freshMemberOfTeam(): Promise<UserRow> {
  const member = await buildUser(server.database.db);
  await server.database.db.insert(teamMembers).values({ teamId: world.team.id, userId: member.id });
  return member;
}

async function freshKeyOfUser(): Promise<number> {
  const key = generateApiKey();
  const [row] = await server.database.db
    .insert(apiKeys)
    .values({ userId: world.users.user.id, name: unique("key"), prefix: key.prefix, keyHash: key.hash })
    .returning({ id: apiKeys.id });
  return row!.id;
}

async function leaveTeam(vars: Record<string, any>): Promise<void> {
  await server.database.db
    .delete(teamMembers)
    .where(and(eq(teamMembers.teamId, world.team.id), eq(teamMembers.userId, Number(vars.userId))));
}

async function isMemberOfTeam(userId: number): Promise<boolean> {
  const rows = await server.database.db
    .select()
    .from(teamMembers)
    .where(and(eq(teamMembers.teamId, world.team.id), eq(teamMembers.userId, userId)));
  return rows.length > 0;
}

// prettier-ignore
const operations: Case[] = [
  //                                                                    anonymous  user  otherUser teamManager otherManager admin
  // ── Queries ──
  { field: "me", doc: `{ me { id } }`,
    expect:                                                             [ANON,     OK,   OK,       OK,         OK,          OK],
    check: (me, role) => expect(me.id).toBe(viewerId(role)) },
  { field: "user", doc: `query($id: ID!) { user(id: $id) { id name } }`, vars: () => ({ id: id(world.users.user) }),
    expect:                                                             [ANON,     OK,   DENY,     OK,         DENY,        OK],
    check: (user) => expect(user.id).toBe(id(world.users.user)) },
  { field: "users", doc: `{ users(limit: 1000) { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     OK,         OK,          OK] },
  { field: "team", doc: `query($id: ID!) { team(id: $id) { id name } }`, vars: () => ({ id: id(world.team) }),
    expect:                                                             [ANON,     OK,   DENY,     OK,         DENY,        OK],
    check: (team) => expect(team.id).toBe(id(world.team)) },
  { field: "teams", doc: `{ teams { id } }`,
    expect:                                                             [ANON,     OK,   OK,       OK,         OK,          OK] },
  { field: "kpiDefinitions", doc: `{ kpiDefinitions { id name } }`,
    expect:                                                             [ANON,     DENY, DENY,     OK,         OK,          OK],
    check: (list) => expect(list.map((d: { id: string }) => d.id)).toContain(id(definition)) },
  { field: "kpiDefinition", doc: `query($id: ID!) { kpiDefinition(id: $id) { id name } }`, vars: () => ({ id: id(definition) }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         OK,          OK],
    check: (kpi) => expect(kpi).toEqual({ id: id(definition), name: definition.name }) },
  { field: "auditLog", doc: `{ auditLog(limit: 5) { id action entityType } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK] },
  { field: "apiKeys", label: "apiKeys (own)", doc: `{ apiKeys { id } }`,
    expect:                                                             [ANON,     OK,   OK,       OK,         OK,          OK] },
  { field: "apiKeys", label: "apiKeys(userId: user)", doc: `query($userId: ID) { apiKeys(userId: $userId) { id } }`,
    vars: () => ({ userId: id(world.users.user) }),
    expect:                                                             [ANON,     OK,   DENY,     DENY,       DENY,        OK] },

  // ── Mutations ──
  { field: "createUser", doc: `mutation($input: CreateUserInput!) { createUser(input: $input) { id email role } }`,
    vars: () => ({ input: { name: unique("Created"), email: `${unique("created")}@test.example`, role: "USER" } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (user, _role, vars) => expect(user).toMatchObject({ email: vars.input.email, role: "USER" }) },
  { field: "updateUser", doc: `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id name } }`,
    vars: () => ({ id: id(world.users.user), input: { name: unique("User") } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (user, _role, vars) => expect(user).toEqual({ id: id(world.users.user), name: vars.input.name }) },
  { field: "setUserExternalId",
    doc: `mutation($userId: ID!, $externalId: String!) { setUserExternalId(userId: $userId, provider: "intercom", externalId: $externalId) { id } }`,
    vars: () => ({ userId: id(world.users.user), externalId: unique("ic") }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (user) => expect(user.id).toBe(id(world.users.user)) },
  { field: "createTeam", doc: `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id name } }`,
    vars: () => ({ input: { name: unique("Team") } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (team, _role, vars) => expect(team.name).toBe(vars.input.name) },
  { field: "updateTeam", doc: `mutation($id: ID!, $input: UpdateTeamInput!) { updateTeam(id: $id, input: $input) { id name } }`,
    vars: () => ({ id: id(world.team), input: { name: unique("Team") } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (team, _role, vars) => expect(team).toEqual({ id: id(world.team), name: vars.input.name }) },
  { field: "addTeamMember", doc: `mutation($teamId: ID!, $userId: ID!) { addTeamMember(teamId: $teamId, userId: $userId) { id } }`,
    vars: async () => ({ teamId: id(world.team), userId: id(await buildUser(server.database.db)) }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: async (_team, _role, vars) => expect(await isMemberOfTeam(Number(vars.userId))).toBe(true),
    cleanup: leaveTeam },
  { field: "removeTeamMember", doc: `mutation($teamId: ID!, $userId: ID!) { removeTeamMember(teamId: $teamId, userId: $userId) { id } }`,
    vars: async () => ({ teamId: id(world.team), userId: id(await freshMemberOfTeam()) }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: async (_team, _role, vars) => expect(await isMemberOfTeam(Number(vars.userId))).toBe(false),
    cleanup: leaveTeam },
  { field: "createApiKey", doc: `mutation($name: String!) { createApiKey(name: $name) { id name token } }`,
    vars: () => ({ name: unique("key") }),
    expect:                                                             [ANON,     OK,   OK,       OK,         OK,          OK],
    check: (key, _role, vars) => expect(key).toMatchObject({ name: vars.name, token: expect.stringMatching(/^kpik_/) }) },
  { field: "revokeApiKey", label: "revokeApiKey (a key of user)", doc: `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`,
    vars: async () => ({ id: String(await freshKeyOfUser()) }),
    expect:                                                             [ANON,     OK,   DENY,     DENY,       DENY,        OK],
    check: (key) => expect(key.revokedAt).toEqual(expect.any(String)) },
  { field: "createKpiDefinition", doc: `mutation($input: CreateKpiDefinitionInput!) { createKpiDefinition(input: $input) { id name } }`,
    vars: () => ({ input: { name: unique("KPI"), calculationType: "MANUAL", aggregationPeriod: "MONTHLY", targetType: "HIGHER_BETTER" } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (kpi, _role, vars) => expect(kpi.name).toBe(vars.input.name) },
  { field: "updateKpiDefinition",
    doc: `mutation($id: ID!, $input: UpdateKpiDefinitionInput!) { updateKpiDefinition(id: $id, input: $input) { id description } }`,
    vars: () => ({ id: id(definition), input: { description: unique("described") } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (kpi, _role, vars) => expect(kpi).toEqual({ id: id(definition), description: vars.input.description }) },
];

// Unknown and malformed ids: a denial must not tell whether the target exists; an admin learns it.
// prettier-ignore
const unknownIds: Case[] = [
  //                                                                    anonymous  user  otherUser teamManager otherManager admin
  { field: "user", label: 'user(id: "99999999")', doc: `{ user(id: "99999999") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "team", label: 'team(id: "99999999")', doc: `{ team(id: "99999999") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "user", label: 'user(id: "abc")', doc: `{ user(id: "abc") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        BAD] },
  { field: "team", label: 'team(id: "abc")', doc: `{ team(id: "abc") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        BAD] },
  { field: "kpiDefinition", label: 'kpiDefinition(id: "99999999")', doc: `{ kpiDefinition(id: "99999999") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     MISSING,    MISSING,     MISSING] },
  { field: "apiKeys", label: 'apiKeys(userId: "abc")', doc: `{ apiKeys(userId: "abc") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        BAD] },
  { field: "revokeApiKey", label: 'revokeApiKey(id: "99999999")', doc: `mutation { revokeApiKey(id: "99999999") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "updateUser", label: 'updateUser(id: "99999999")', doc: `mutation { updateUser(id: "99999999", input: { name: "x" }) { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
];

async function run(role: RoleName, c: Case) {
  const vars = (await c.vars?.(role)) ?? {};
  const res = await server.gql(c.doc, vars, world.tokens[role]);
  return { res, vars };
}

function expectOutcome(res: GraphQLResponse, field: string, outcome: Outcome) {
  if (outcome === OK) {
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data?.[field]).toBeDefined();
    expect(res.data?.[field]).not.toBeNull();
  } else {
    expect(res.errors?.map((e) => ({ code: e.extensions?.code, path: e.path }))).toEqual([{ code: outcome, path: [field] }]);
    expect(res.data?.[field] ?? null).toBeNull();
  }
}

function generate(cases: Case[]) {
  for (const c of cases) {
    describe(c.label ?? c.field, () => {
      ROLE_NAMES.forEach((role, index) => {
        const outcome = c.expect[index]!;
        it(`${role} → ${outcome}`, async () => {
          const { res, vars } = await run(role, c);
          try {
            expectOutcome(res, c.field, outcome);
            if (outcome === OK) await c.check?.(res.data![c.field], role, vars);
          } finally {
            await c.cleanup?.(vars);
          }
        });
      });
    });
  }
}

describe("operation matrix", () => {
  it("covers every query and mutation of the schema", async () => {
    const res = await server.gql(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    const names = (type: { fields: Array<{ name: string }> }) => type.fields.map((f) => f.name).sort();
    const covered = [...new Set(operations.map((c) => c.field))].sort();
    expect(covered).toEqual([...names(res.data!.__schema.queryType), ...names(res.data!.__schema.mutationType)].sort());
  });

  generate(operations);
});

describe("unknown and malformed ids", () => {
  generate(unknownIds);

  it("a denial for an unknown user reads exactly like one for an existing stranger", async () => {
    const doc = `query($id: ID!) { user(id: $id) { id } }`;
    const stranger = await server.gql(doc, { id: id(world.users.otherUser) }, world.tokens.user);
    const unknown = await server.gql(doc, { id: "99999999" }, world.tokens.user);
    expect(unknown.errors).toEqual(stranger.errors);
    expect(unknown.data).toEqual(stranger.data);
  });
});

// ── Field-level rules ──

/** The error codes of a response, by path joined with dots. */
const errorsByPath = (res: GraphQLResponse) =>
  Object.fromEntries((res.errors ?? []).map((e) => [(e.path ?? []).join("."), e.extensions?.code]));

async function memberIndexes(token: string | null): Promise<Map<string, number>> {
  const res = await server.gql(`query($id: ID!) { team(id: $id) { members { user { id } } } }`, { id: id(world.team) }, token);
  expect(res.errors).toBeUndefined();
  return new Map(res.data!.team.members.map((m: { user: { id: string } }, i: number) => [m.user.id, i]));
}

async function currentName(userId: number): Promise<string> {
  const [row] = await server.database.db.select({ name: users.name }).from(users).where(eq(users.id, userId));
  return row!.name;
}

describe("User.email", () => {
  const emailOfUser = `query($id: ID!) { user(id: $id) { id email } }`;

  it.each(["user", "teamManager", "admin"] as const)("%s sees the e-mail of user", async (role) => {
    const res = await server.gql(emailOfUser, { id: id(world.users.user) }, world.tokens[role]);
    expect(res.errors).toBeUndefined();
    expect(res.data!.user).toEqual({ id: id(world.users.user), email: world.users.user.email });
  });

  it("user sees their own e-mail through me", async () => {
    const res = await server.gql(`{ me { email } }`, {}, world.tokens.user);
    expect(res.errors).toBeUndefined();
    expect(res.data!.me.email).toBe(world.users.user.email);
  });

  it("otherUser has no path to user: user(id) is FORBIDDEN at the field", async () => {
    const res = await server.gql(emailOfUser, { id: id(world.users.user) }, world.tokens.otherUser);
    expect(errorsByPath(res)).toEqual({ user: "FORBIDDEN" });
    expect(res.data!.user).toBeNull();
  });

  it("a teammate sees user's name among the members", async () => {
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { id name } } } }`,
      { id: id(world.team) },
      world.tokens.user,
    );
    expect(res.errors).toBeUndefined();
    const members = res.data!.team.members.map((m: { user: unknown }) => m.user);
    expect(members).toContainEqual({ id: id(teammate), name: await currentName(teammate.id) });
    const asTeammate = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { id name } } } }`,
      { id: id(world.team) },
      await server.jwt.sign(teammate),
    );
    expect(asTeammate.data!.team.members.map((m: { user: unknown }) => m.user)).toContainEqual({
      id: id(world.users.user),
      name: await currentName(world.users.user.id),
    });
  });

  it("a teammate's e-mail is FORBIDDEN to a member; their own is not", async () => {
    const token = await server.jwt.sign(teammate);
    const index = await memberIndexes(token);
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { id email } } } }`,
      { id: id(world.team) },
      token,
    );
    expect([...index.keys()].sort()).toEqual([id(world.users.user), id(teammate)].sort());
    // Only user's e-mail is refused, not the teammate's own.
    expect(errorsByPath(res)).toEqual({ [`team.members.${index.get(id(world.users.user))}.user.email`]: "FORBIDDEN" });
    // e-mail is non-null: the denial nulls the team, it does not hand out a partial member list.
    expect(res.data!.team).toBeNull();
  });

  it("teamManager sees the e-mails of all members of their team", async () => {
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { id email } } } }`,
      { id: id(world.team) },
      world.tokens.teamManager,
    );
    expect(res.errors).toBeUndefined();
    const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);
    expect(res.data!.team.members.map((m: { user: { id: string } }) => m.user).sort(byId)).toEqual(
      [
        { id: id(world.users.user), email: world.users.user.email },
        { id: id(teammate), email: teammate.email },
      ].sort(byId),
    );
  });

  it("a member sees their manager's name but not their e-mail", async () => {
    const named = await server.gql(
      `query($id: ID!) { team(id: $id) { manager { id name } } }`,
      { id: id(world.team) },
      world.tokens.user,
    );
    expect(named.errors).toBeUndefined();
    expect(named.data!.team.manager).toEqual({ id: id(world.users.teamManager), name: world.users.teamManager.name });
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { id manager { id email } } }`,
      { id: id(world.team) },
      world.tokens.user,
    );
    expect(errorsByPath(res)).toEqual({ "team.manager.email": "FORBIDDEN" });
    expect(res.data!.team).toEqual({ id: id(world.team), manager: null });
  });

  it("otherManager reaches user as creator of a definition: name yes, e-mail FORBIDDEN", async () => {
    const doc = `query($id: ID!) { kpiDefinition(id: $id) { name createdBy { id name email } } }`;
    const res = await server.gql(doc, { id: id(definition) }, world.tokens.otherManager);
    expect(errorsByPath(res)).toEqual({ "kpiDefinition.createdBy.email": "FORBIDDEN" });
    expect(res.data!.kpiDefinition).toEqual({ name: expect.any(String), createdBy: null });
    const named = await server.gql(
      `query($id: ID!) { kpiDefinition(id: $id) { createdBy { id name } } }`,
      { id: id(definition) },
      world.tokens.otherManager,
    );
    expect(named.errors).toBeUndefined();
    expect(named.data!.kpiDefinition.createdBy).toEqual({
      id: id(world.users.user),
      name: await currentName(world.users.user.id),
    });
  });

  it("teamManager sees it through the same path", async () => {
    const res = await server.gql(
      `query($id: ID!) { kpiDefinition(id: $id) { createdBy { email } } }`,
      { id: id(definition) },
      world.tokens.teamManager,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.kpiDefinition.createdBy.email).toBe(world.users.user.email);
  });
});

describe("User.teams", () => {
  it.each(["user", "teamManager", "admin"] as const)("%s sees the teams of user", async (role) => {
    const res = await server.gql(
      `query($id: ID!) { user(id: $id) { teams { id } } }`,
      { id: id(world.users.user) },
      world.tokens[role],
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.user.teams).toEqual([{ id: id(world.team) }]);
  });

  it("user sees their teams through me", async () => {
    const res = await server.gql(`{ me { teams { id } } }`, {}, world.tokens.user);
    expect(res.errors).toBeUndefined();
    expect(res.data!.me.teams).toEqual([{ id: id(world.team) }]);
  });

  it("a teammate's teams are FORBIDDEN to a member", async () => {
    const token = await server.jwt.sign(teammate);
    const index = await memberIndexes(token);
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { id teams { id } } } } }`,
      { id: id(world.team) },
      token,
    );
    expect([...index.keys()].sort()).toEqual([id(world.users.user), id(teammate)].sort());
    expect(errorsByPath(res)).toEqual({ [`team.members.${index.get(id(world.users.user))}.user.teams`]: "FORBIDDEN" });
    expect(res.data!.team).toBeNull();
  });

  it("otherManager: FORBIDDEN through the definition's creator", async () => {
    const res = await server.gql(
      `query($id: ID!) { kpiDefinition(id: $id) { id createdBy { id teams { id } } } }`,
      { id: id(definition) },
      world.tokens.otherManager,
    );
    expect(errorsByPath(res)).toEqual({ "kpiDefinition.createdBy.teams": "FORBIDDEN" });
    expect(res.data!.kpiDefinition).toEqual({ id: id(definition), createdBy: null });
  });
});

describe("Team.members", () => {
  const membersOfTeam = `query($id: ID!) { team(id: $id) { id members { user { id name } } } }`;

  it.each(["user", "teamManager", "admin"] as const)("%s lists the members of team", async (role) => {
    const res = await server.gql(membersOfTeam, { id: id(world.team) }, world.tokens[role]);
    expect(res.errors).toBeUndefined();
    const ids = res.data!.team.members.map((m: { user: { id: string } }) => m.user.id);
    expect(ids.sort()).toEqual([id(world.users.user), id(teammate)].sort());
  });

  it.each(["otherUser", "otherManager"] as const)("%s is FORBIDDEN at the team field", async (role) => {
    const res = await server.gql(membersOfTeam, { id: id(world.team) }, world.tokens[role]);
    expect(errorsByPath(res)).toEqual({ team: "FORBIDDEN" });
    expect(res.data!.team).toBeNull();
  });

  it("teamManager may see a report's other team but not its members", async () => {
    const named = await server.gql(
      `query($id: ID!) { user(id: $id) { teams { id name } } }`,
      { id: id(teammate) },
      world.tokens.teamManager,
    );
    expect(named.errors).toBeUndefined();
    expect(named.data!.user.teams.map((t: { id: string }) => t.id).sort()).toEqual([id(world.team), id(sideTeam)].sort());

    const res = await server.gql(
      `query($id: ID!) { user(id: $id) { teams { id members { user { id } } } } }`,
      { id: id(teammate) },
      world.tokens.teamManager,
    );
    const sideIndex = named.data!.user.teams.findIndex((t: { id: string }) => t.id === id(sideTeam));
    expect(errorsByPath(res)).toEqual({ [`user.teams.${sideIndex}.members`]: "FORBIDDEN" });
    expect(res.data!.user).toBeNull();
  });
});

describe("User.externalIds (admin only)", () => {
  it("admin reads the external ids of user", async () => {
    const externalId = unique("ac");
    const set = await server.gql(
      `mutation($userId: ID!, $externalId: String!) { setUserExternalId(userId: $userId, provider: "aircall", externalId: $externalId) { id } }`,
      { userId: id(world.users.user), externalId },
      world.tokens.admin,
    );
    expect(set.errors).toBeUndefined();
    const res = await server.gql(
      `query($id: ID!) { user(id: $id) { externalIds { provider externalId } } }`,
      { id: id(world.users.user) },
      world.tokens.admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.user.externalIds).toContainEqual({ provider: "aircall", externalId });
  });

  it("teamManager: FORBIDDEN on externalIds of a report", async () => {
    const res = await server.gql(
      `query($id: ID!) { user(id: $id) { id externalIds { provider } } }`,
      { id: id(world.users.user) },
      world.tokens.teamManager,
    );
    expect(errorsByPath(res)).toEqual({ "user.externalIds": "FORBIDDEN" });
    expect(res.data!.user).toBeNull();
  });

  it("user: FORBIDDEN on their own externalIds", async () => {
    const res = await server.gql(`{ me { id externalIds { provider } } }`, {}, world.tokens.user);
    expect(errorsByPath(res)).toEqual({ "me.externalIds": "FORBIDDEN" });
    expect(res.data).toBeNull();
  });
});

describe("KpiDefinition.dataSource (admin only)", () => {
  const doc = `query($id: ID!) { kpiDefinition(id: $id) { name dataSource } }`;

  it("admin reads it", async () => {
    const res = await server.gql(doc, { id: id(definition) }, world.tokens.admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.kpiDefinition).toEqual({ name: expect.any(String), dataSource: definition.dataSource });
  });

  it.each(["teamManager", "otherManager"] as const)("%s reads the name but gets FORBIDDEN on dataSource", async (role) => {
    const res = await server.gql(doc, { id: id(definition) }, world.tokens[role]);
    expect(errorsByPath(res)).toEqual({ "kpiDefinition.dataSource": "FORBIDDEN" });
    expect(res.data!.kpiDefinition).toEqual({ name: expect.any(String), dataSource: null });
  });

  it("a manager listing definitions gets FORBIDDEN on every dataSource", async () => {
    const res = await server.gql(`{ kpiDefinitions { id dataSource } }`, {}, world.tokens.teamManager);
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(res.errors!.every((e) => e.extensions?.code === "FORBIDDEN" && e.path?.[2] === "dataSource")).toBe(true);
    expect(res.data!.kpiDefinitions.every((d: { dataSource: unknown }) => d.dataSource === null)).toBe(true);
  });
});

// ── Scoping of the lists ──

describe("teams lists only the teams one belongs to or manages", () => {
  const teamIds = async (role: RoleName) => {
    const res = await server.gql(`{ teams { id } }`, {}, world.tokens[role]);
    expect(res.errors).toBeUndefined();
    return res.data!.teams.map((t: { id: string }) => t.id) as string[];
  };

  it("user: team, not otherTeam", async () => {
    expect(await teamIds("user")).toEqual([id(world.team)]);
  });

  it("otherUser: otherTeam, not team", async () => {
    expect(await teamIds("otherUser")).toEqual([id(world.otherTeam)]);
  });

  it("teamManager: the team they manage, not otherTeam", async () => {
    expect(await teamIds("teamManager")).toEqual([id(world.team)]);
  });

  it("otherManager: otherTeam, not team", async () => {
    expect(await teamIds("otherManager")).toEqual([id(world.otherTeam)]);
  });

  it("admin: both", async () => {
    expect(await teamIds("admin")).toEqual(expect.arrayContaining([id(world.team), id(world.otherTeam), id(sideTeam)]));
  });
});

describe("users lists the members of one's teams for a manager", () => {
  const userIds = async (role: RoleName, search?: string) => {
    const res = await server.gql(
      `query($filter: UserFilter) { users(filter: $filter, limit: 1000) { id } }`,
      { filter: search ? { search } : null },
      world.tokens[role],
    );
    expect(res.errors).toBeUndefined();
    return res.data!.users.map((u: { id: string }) => u.id) as string[];
  };

  it("teamManager: exactly the members of team (user, teammate), not otherUser", async () => {
    const ids = await userIds("teamManager");
    expect(ids.sort()).toEqual([id(world.users.user), id(teammate)].sort());
  });

  it("otherManager: otherUser, not user", async () => {
    expect(await userIds("otherManager")).toEqual([id(world.users.otherUser)]);
  });

  it("otherManager finds nobody outside their teams by searching for an e-mail", async () => {
    expect(await userIds("otherManager", world.users.user.email)).toEqual([]);
  });

  it("admin finds anyone", async () => {
    expect(await userIds("admin", world.users.user.email)).toEqual([id(world.users.user)]);
    expect(await userIds("admin", world.users.otherUser.email)).toEqual([id(world.users.otherUser)]);
  });
});
