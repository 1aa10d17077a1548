import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, userKpis, type KpiDefinitionRow } from "../../src/db/schema/index.js";
import { buildAssignment, buildDefinition, buildTeam, buildTeamMember, buildUser, unique } from "../helpers/factories.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let world: RoleWorld;
let admin: string;

beforeAll(async () => ({ server, world, admin } = await startServerWithRoles()));
afterAll(() => server?.stop());

const FIELDS = "id targetValue weight startDate endDate isActive assignedAt user { id } kpiDefinition { id } assignedBy { id }";
const ASSIGN = `mutation($userId: ID!, $input: AssignKpiInput!) { assignKpi(userId: $userId, input: $input) { ${FIELDS} } }`;
const BULK = `mutation($input: BulkAssignKpiInput!) {
  bulkAssignKpi(input: $input) { created { id user { id } targetValue weight startDate endDate } existing { id user { id } } }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateUserKpiInput!) { updateUserKpi(id: $id, input: $input) { ${FIELDS} } }`;

const db = () => server.database.db;
const id = (row: { id: number }) => String(row.id);

const terms = (definition: KpiDefinitionRow, overrides: Record<string, unknown> = {}) => ({
  kpiDefinitionId: id(definition),
  targetValue: 40,
  weight: 25,
  startDate: "2026-01-01",
  endDate: null,
  ...overrides,
});

function assignmentsOf(userId: number, definitionId: number) {
  return db()
    .select()
    .from(userKpis)
    .where(and(eq(userKpis.userId, userId), eq(userKpis.kpiDefinitionId, definitionId)))
    .orderBy(asc(userKpis.startDate));
}

function assignmentsOfDefinition(definitionId: number) {
  return db().select().from(userKpis).where(eq(userKpis.kpiDefinitionId, definitionId)).orderBy(asc(userKpis.userId));
}

function auditOf(userKpiIds: Array<string | number>) {
  return db()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, "user_kpi"), inArray(auditLog.entityId, userKpiIds.map(String))))
    .orderBy(asc(auditLog.id));
}

/** The terms of the assignments tests write straight to the database (buildAssignment). */
const STORED = { targetValue: 40, weight: 25, startDate: "2026-01-01" };

/** A fresh manager with a team of `size` members, so a test can change membership freely. */
async function managedTeam(size: number, options: { managerIsMember?: boolean } = {}) {
  const manager = await buildUser(db(), { role: "manager" });
  const members = await Promise.all(Array.from({ length: size }, () => buildUser(db())));
  const team = await buildTeam(db(), { manager, members: options.managerIsMember ? [...members, manager] : members });
  return { manager, members, team, token: await server.jwt.sign(manager) };
}

describe("assignKpi", () => {
  it("lets the user's team manager assign a KPI: returns it, stores it and audits it", async () => {
    const definition = await buildDefinition(db());
    const { user, teamManager } = world.users;
    const input = terms(definition, { targetValue: 120.5, weight: 30, startDate: "2026-02-01", endDate: "2026-12-31" });
    const res = await server.gql(ASSIGN, { userId: id(user), input }, world.tokens.teamManager);
    expect(res.errors).toBeUndefined();
    const assigned = res.data!.assignKpi;
    expect(assigned).toMatchObject({
      targetValue: 120.5,
      weight: 30,
      startDate: "2026-02-01",
      endDate: "2026-12-31",
      isActive: true,
      user: { id: id(user) },
      kpiDefinition: { id: id(definition) },
      assignedBy: { id: id(teamManager) },
    });
    expect(Date.now() - Date.parse(assigned.assignedAt)).toBeLessThan(60_000);

    const rows = await assignmentsOf(user.id, definition.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: Number(assigned.id),
      targetValue: 120.5,
      weight: 30,
      startDate: "2026-02-01",
      endDate: "2026-12-31",
      isActive: true,
      assignedBy: teamManager.id,
    });

    const audit = await auditOf([assigned.id]);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "user_kpi.create",
      actorId: teamManager.id,
      before: null,
      after: {
        userId: user.id,
        kpiDefinitionId: definition.id,
        targetValue: 120.5,
        weight: 30,
        startDate: "2026-02-01",
        endDate: "2026-12-31",
        isActive: true,
      },
    });
  });

  it("lets an admin assign a KPI to any user, ongoing when endDate is left out", async () => {
    const definition = await buildDefinition(db());
    const anyone = await buildUser(db());
    const { endDate: _omitted, ...input } = terms(definition);
    const res = await server.gql(ASSIGN, { userId: id(anyone), input }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.assignKpi).toMatchObject({
      endDate: null,
      user: { id: id(anyone) },
      assignedBy: { id: id(world.users.admin) },
    });
    const [row] = await assignmentsOf(anyone.id, definition.id);
    expect(row).toMatchObject({ endDate: null, assignedBy: world.users.admin.id });
    const [entry] = await auditOf([res.data!.assignKpi.id]);
    expect(entry).toMatchObject({ action: "user_kpi.create", actorId: world.users.admin.id, after: { endDate: null } });
  });

  for (const weight of [-1, 100.5]) {
    it(`refuses weight ${weight} with BAD_USER_INPUT naming weight, storing nothing`, async () => {
      const definition = await buildDefinition(db());
      const res = await server.gql(
        ASSIGN,
        { userId: id(world.users.user), input: terms(definition, { weight }) },
        world.tokens.teamManager,
      );
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message).toMatch(/^weight: /);
      expect(res.data?.assignKpi ?? null).toBeNull();
      expect(await assignmentsOf(world.users.user.id, definition.id)).toEqual([]);
    });
  }

  it("accepts the weight bounds 0 and 100", async () => {
    for (const weight of [0, 100]) {
      const definition = await buildDefinition(db());
      const res = await server.gql(ASSIGN, { userId: id(world.users.user), input: terms(definition, { weight }) }, admin);
      expect(res.errors).toBeUndefined();
      expect(res.data!.assignKpi.weight).toBe(weight);
    }
  });

  it("refuses an end date before the start date, storing nothing", async () => {
    const definition = await buildDefinition(db());
    const res = await server.gql(
      ASSIGN,
      { userId: id(world.users.user), input: terms(definition, { startDate: "2026-06-01", endDate: "2026-05-31" }) },
      world.tokens.teamManager,
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "endDate" });
    expect(res.errors?.[0]?.message).toMatch(/endDate.*before startDate/);
    expect(await assignmentsOf(world.users.user.id, definition.id)).toEqual([]);
  });

  it("accepts a one-day assignment (end date equal to the start date)", async () => {
    const definition = await buildDefinition(db());
    const res = await server.gql(
      ASSIGN,
      { userId: id(world.users.user), input: terms(definition, { startDate: "2026-06-01", endDate: "2026-06-01" }) },
      admin,
    );
    expect(res.errors).toBeUndefined();
  });

  it("refuses a date that does not exist (2026-02-30)", async () => {
    const definition = await buildDefinition(db());
    for (const dates of [{ startDate: "2026-02-30" }, { endDate: "2026-02-30" }, { startDate: "2026/01/01" }]) {
      const res = await server.gql(
        ASSIGN,
        { userId: id(world.users.user), input: terms(definition, dates) },
        world.tokens.teamManager,
      );
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message).toMatch(Object.keys(dates)[0]!);
    }
    expect(await assignmentsOf(world.users.user.id, definition.id)).toEqual([]);
  });

  it("answers NOT_FOUND for an unknown user (admin) and an unknown definition", async () => {
    const definition = await buildDefinition(db());
    const unknownUser = await server.gql(ASSIGN, { userId: "99999999", input: terms(definition) }, admin);
    expect(unknownUser.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", entity: "User", id: "99999999" });

    const unknownDefinition = await server.gql(
      ASSIGN,
      { userId: id(world.users.user), input: { ...terms(definition), kpiDefinitionId: "99999999" } },
      world.tokens.teamManager,
    );
    expect(unknownDefinition.errors?.[0]?.extensions).toMatchObject({
      code: "NOT_FOUND",
      entity: "KpiDefinition",
      id: "99999999",
    });
  });

  it("refuses an archived definition with BAD_USER_INPUT", async () => {
    const definition = await buildDefinition(db(), { isActive: false });
    const res = await server.gql(ASSIGN, { userId: id(world.users.user), input: terms(definition) }, admin);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "kpiDefinitionId" });
    expect(res.errors?.[0]?.message).toMatch(/archived/);
    expect(await assignmentsOf(world.users.user.id, definition.id)).toEqual([]);
  });

  it("refuses a duplicate (same user, definition and start date) with CONFLICT", async () => {
    const definition = await buildDefinition(db());
    const existing = await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition,
      startDate: "2026-03-01",
      endDate: "2026-03-31",
    });
    const res = await server.gql(
      ASSIGN,
      { userId: id(world.users.user), input: terms(definition, { startDate: "2026-03-01", targetValue: 99 }) },
      world.tokens.teamManager,
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", userKpiId: id(existing) });
    expect(await assignmentsOf(world.users.user.id, definition.id)).toEqual([existing]);
  });

  it("refuses an assignment overlapping an active one of the same definition with CONFLICT", async () => {
    const definition = await buildDefinition(db());
    const ongoing = await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition,
      startDate: "2026-01-01",
      endDate: null,
    });
    for (const dates of [
      { startDate: "2026-06-01", endDate: null },
      { startDate: "2025-06-01", endDate: "2026-01-01" },
    ]) {
      const res = await server.gql(
        ASSIGN,
        { userId: id(world.users.user), input: terms(definition, dates) },
        world.tokens.teamManager,
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", userKpiId: id(ongoing) });
      expect(res.errors?.[0]?.message).toMatch(/2026-01-01 to ongoing/);
    }
    expect(await assignmentsOf(world.users.user.id, definition.id)).toEqual([ongoing]);
  });

  it("allows an assignment that starts after the previous one ended, and one that overlaps only an inactive one", async () => {
    const definition = await buildDefinition(db());
    await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition,
      startDate: "2026-01-01",
      endDate: "2026-03-31",
    });
    const next = await server.gql(
      ASSIGN,
      { userId: id(world.users.user), input: terms(definition, { startDate: "2026-04-01" }) },
      world.tokens.teamManager,
    );
    expect(next.errors).toBeUndefined();

    const other = await buildDefinition(db());
    await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition: other,
      startDate: "2026-01-01",
      isActive: false,
    });
    const overInactive = await server.gql(
      ASSIGN,
      { userId: id(world.users.user), input: terms(other, { startDate: "2026-02-01" }) },
      world.tokens.teamManager,
    );
    expect(overInactive.errors).toBeUndefined();
    expect((await assignmentsOf(world.users.user.id, definition.id)).map((row) => row.startDate)).toEqual([
      "2026-01-01",
      "2026-04-01",
    ]);
  });

  it("refuses a manager assigning to themselves even as a member of their own team (FORBIDDEN)", async () => {
    const { manager, members, token } = await managedTeam(1, { managerIsMember: true });
    const definition = await buildDefinition(db());
    const self = await server.gql(ASSIGN, { userId: id(manager), input: terms(definition) }, token);
    expect(self.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(self.data?.assignKpi ?? null).toBeNull();
    expect(await assignmentsOf(manager.id, definition.id)).toEqual([]);

    // The same manager may assign to the other member of the team, and may not change their own assignment.
    const member = await server.gql(ASSIGN, { userId: id(members[0]!), input: terms(definition) }, token);
    expect(member.errors).toBeUndefined();
    const own = await buildAssignment(db(), { ...STORED, user: manager, definition });
    const update = await server.gql(UPDATE, { id: id(own), input: { targetValue: 1 } }, token);
    expect(update.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("refuses a manager assigning to a user outside their teams (FORBIDDEN)", async () => {
    const definition = await buildDefinition(db());
    const res = await server.gql(
      ASSIGN,
      { userId: id(world.users.otherUser), input: terms(definition) },
      world.tokens.teamManager,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await assignmentsOf(world.users.otherUser.id, definition.id)).toEqual([]);
  });

  it("refuses a deactivated user with BAD_USER_INPUT", async () => {
    const { members, token } = await managedTeam(1);
    const inactive = await buildUser(db(), { isActive: false });
    const definition = await buildDefinition(db());
    const byAdmin = await server.gql(ASSIGN, { userId: id(inactive), input: terms(definition) }, admin);
    expect(byAdmin.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "userId" });
    expect(byAdmin.errors?.[0]?.message).toMatch(/deactivated/);

    // Deactivated while still a team member: the manager is refused the same way.
    const member = members[0]!;
    await server.gql(
      `mutation($id: ID!) { updateUser(id: $id, input: { isActive: false }) { id isActive } }`,
      { id: id(member) },
      admin,
    );
    const byManager = await server.gql(ASSIGN, { userId: id(member), input: terms(definition) }, token);
    expect(byManager.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "userId" });
    expect(await assignmentsOf(inactive.id, definition.id)).toEqual([]);
    expect(await assignmentsOf(member.id, definition.id)).toEqual([]);
  });
});

describe("bulkAssignKpi", () => {
  const bulkInput = (definition: KpiDefinitionRow, target: { userIds?: string[]; teamId?: string }, overrides = {}) => ({
    kpiDefinitionId: id(definition),
    targetValue: 10,
    weight: 20,
    startDate: "2026-05-01",
    endDate: "2026-12-31",
    ...target,
    ...overrides,
  });

  it("creates every assignment of a userIds list, and is idempotent when called again", async () => {
    const definition = await buildDefinition(db());
    const users = await Promise.all([buildUser(db()), buildUser(db()), buildUser(db())]);
    const input = bulkInput(definition, { userIds: users.map(id) });

    const first = await server.gql(BULK, { input }, admin);
    expect(first.errors).toBeUndefined();
    const { created, existing } = first.data!.bulkAssignKpi;
    expect(existing).toEqual([]);
    expect(created.map((row: { user: { id: string } }) => row.user.id).sort()).toEqual(users.map(id).sort());
    for (const row of created) {
      expect(row).toMatchObject({ targetValue: 10, weight: 20, startDate: "2026-05-01", endDate: "2026-12-31" });
    }
    const stored = await assignmentsOfDefinition(definition.id);
    expect(stored.map((row) => row.userId)).toEqual(users.map((user) => user.id).sort((a, b) => a - b));
    for (const row of stored) expect(row).toMatchObject({ assignedBy: world.users.admin.id, targetValue: 10, weight: 20 });
    const ids = stored.map((row) => row.id);
    const audit = await auditOf(ids);
    expect(audit).toHaveLength(3);
    for (const entry of audit) {
      expect(entry).toMatchObject({
        action: "user_kpi.create",
        actorId: world.users.admin.id,
        after: { kpiDefinitionId: definition.id, startDate: "2026-05-01", endDate: "2026-12-31" },
      });
    }

    const again = await server.gql(BULK, { input }, admin);
    expect(again.errors).toBeUndefined();
    expect(again.data!.bulkAssignKpi.created).toEqual([]);
    expect(again.data!.bulkAssignKpi.existing.map((row: { id: string }) => Number(row.id)).sort()).toEqual([...ids].sort());
    expect(await assignmentsOfDefinition(definition.id)).toEqual(stored);
    expect(await auditOf(ids)).toHaveLength(3);
  });

  it("returns new users under created and already assigned ones under existing", async () => {
    const definition = await buildDefinition(db());
    const [old, fresh] = await Promise.all([buildUser(db()), buildUser(db())]);
    const previous = await buildAssignment(db(), {
      ...STORED,
      user: old!,
      definition,
      startDate: "2026-05-01",
      targetValue: 7,
    });
    const res = await server.gql(BULK, { input: bulkInput(definition, { userIds: [id(old!), id(fresh!)] }) }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.bulkAssignKpi.created.map((row: { user: { id: string } }) => row.user.id)).toEqual([id(fresh!)]);
    expect(res.data!.bulkAssignKpi.existing).toEqual([{ id: id(previous), user: { id: id(old!) } }]);
    // The existing assignment is left as it was.
    expect((await assignmentsOf(old!.id, definition.id))[0]).toMatchObject({ targetValue: 7, endDate: null });
  });

  it("assigns every active member of a team by teamId, leaving out deactivated members", async () => {
    const definition = await buildDefinition(db());
    const { members, team } = await managedTeam(2);
    const deactivated = await buildUser(db(), { isActive: false });
    await buildTeamMember(db(), { team, user: deactivated });

    const res = await server.gql(BULK, { input: bulkInput(definition, { teamId: id(team) }) }, admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.bulkAssignKpi.created.map((row: { user: { id: string } }) => row.user.id).sort()).toEqual(
      members.map(id).sort(),
    );
    expect((await assignmentsOfDefinition(definition.id)).map((row) => row.userId)).toEqual(
      members.map((member) => member.id).sort((a, b) => a - b),
    );
  });

  it("refuses both userIds and teamId, or neither, with BAD_USER_INPUT", async () => {
    const definition = await buildDefinition(db());
    const both = await server.gql(
      BULK,
      { input: bulkInput(definition, { userIds: [id(world.users.user)], teamId: id(world.team) }) },
      admin,
    );
    expect(both.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(both.errors?.[0]?.message).toMatch(/userIds or teamId/);
    const neither = await server.gql(BULK, { input: bulkInput(definition, {}) }, admin);
    expect(neither.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(neither.errors?.[0]?.message).toMatch(/userIds or teamId/);
    const empty = await server.gql(BULK, { input: bulkInput(definition, { userIds: [] }) }, admin);
    expect(empty.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await assignmentsOfDefinition(definition.id)).toEqual([]);
  });

  it("validates the terms as assignKpi does: weight, dates, archived definition", async () => {
    const userIds = [id(world.users.user)];
    const archived = await buildDefinition(db(), { isActive: false });
    const definition = await buildDefinition(db());
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [bulkInput(definition, { userIds }, { weight: 101 }), /weight/],
      [bulkInput(definition, { userIds }, { startDate: "2026-06-01", endDate: "2026-05-01" }), /endDate/],
      [bulkInput(definition, { userIds }, { startDate: "2026-02-30" }), /startDate/],
      [bulkInput(archived, { userIds }), /archived/],
    ];
    for (const [input, message] of cases) {
      const res = await server.gql(BULK, { input }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    expect(await assignmentsOfDefinition(definition.id)).toEqual([]);
    expect(await assignmentsOfDefinition(archived.id)).toEqual([]);
  });

  it("lets a manager bulk-assign to their own team's members, by userIds and by teamId", async () => {
    const { manager, members, team, token } = await managedTeam(2);
    const byIds = await buildDefinition(db());
    const res = await server.gql(BULK, { input: bulkInput(byIds, { userIds: members.map(id) }) }, token);
    expect(res.errors).toBeUndefined();
    expect(res.data!.bulkAssignKpi.created).toHaveLength(2);
    for (const row of await assignmentsOfDefinition(byIds.id)) expect(row.assignedBy).toBe(manager.id);

    const byTeam = await buildDefinition(db());
    const teamRes = await server.gql(BULK, { input: bulkInput(byTeam, { teamId: id(team) }) }, token);
    expect(teamRes.errors).toBeUndefined();
    expect(await assignmentsOfDefinition(byTeam.id)).toHaveLength(2);
  });

  it("refuses a manager's whole list when one user is outside their teams, naming that user", async () => {
    const { members, token } = await managedTeam(2);
    const outsider = world.users.otherUser;
    const definition = await buildDefinition(db());
    const res = await server.gql(
      BULK,
      { input: bulkInput(definition, { userIds: [id(members[0]!), id(outsider), id(members[1]!)] }) },
      token,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(res.errors?.[0]?.message).toContain(id(outsider));
    expect(res.errors?.[0]?.message).not.toContain(id(members[0]!));
    expect(res.data?.bulkAssignKpi ?? null).toBeNull();
    expect(await assignmentsOfDefinition(definition.id)).toEqual([]);
  });

  it("refuses a manager bulk-assigning to another manager's team, or to themselves", async () => {
    const { manager, members, token } = await managedTeam(1, { managerIsMember: true });
    const definition = await buildDefinition(db());
    const otherTeam = await server.gql(BULK, { input: bulkInput(definition, { teamId: id(world.otherTeam) }) }, token);
    expect(otherTeam.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const self = await server.gql(BULK, { input: bulkInput(definition, { userIds: [id(members[0]!), id(manager)] }) }, token);
    expect(self.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(self.errors?.[0]?.message).toContain(id(manager));
    expect(await assignmentsOfDefinition(definition.id)).toEqual([]);
  });

  it("refuses a manager bulk-assigning by teamId to a team they are a member of (it would assign to themselves)", async () => {
    const { manager, team, token } = await managedTeam(1, { managerIsMember: true });
    const definition = await buildDefinition(db());
    const res = await server.gql(BULK, { input: bulkInput(definition, { teamId: id(team) }) }, token);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", userIds: [id(manager)] });
    expect(res.errors?.[0]?.message).toMatch(/yourself/);
    expect(await assignmentsOfDefinition(definition.id)).toEqual([]);
  });

  it("answers NOT_FOUND naming an unknown user id (admin), creating nothing for the others", async () => {
    const definition = await buildDefinition(db());
    const known = await buildUser(db());
    const res = await server.gql(BULK, { input: bulkInput(definition, { userIds: [id(known), "99999998"] }) }, admin);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", userIds: ["99999998"] });
    expect(res.errors?.[0]?.message).toContain("99999998");
    expect(await assignmentsOfDefinition(definition.id)).toEqual([]);

    const unknownTeam = await server.gql(BULK, { input: bulkInput(definition, { teamId: "99999999" }) }, admin);
    expect(unknownTeam.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("refuses the whole call with CONFLICT naming a user who has an overlapping assignment with another start date", async () => {
    const definition = await buildDefinition(db());
    const [free, busy] = await Promise.all([buildUser(db()), buildUser(db())]);
    await buildAssignment(db(), { ...STORED, user: busy!, definition, startDate: "2026-01-01", endDate: null });
    const res = await server.gql(BULK, { input: bulkInput(definition, { userIds: [id(free!), id(busy!)] }) }, admin);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", userIds: [id(busy!)] });
    expect(res.errors?.[0]?.message).toContain(id(busy!));
    expect(res.errors?.[0]?.message).not.toContain(id(free!));
    expect(await assignmentsOf(free!.id, definition.id)).toEqual([]);
    expect(await assignmentsOf(busy!.id, definition.id)).toHaveLength(1);
  });

  it("refuses a deactivated user in the list with BAD_USER_INPUT", async () => {
    const definition = await buildDefinition(db());
    const [active, inactive] = await Promise.all([buildUser(db()), buildUser(db(), { isActive: false })]);
    const res = await server.gql(BULK, { input: bulkInput(definition, { userIds: [id(active!), id(inactive!)] }) }, admin);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "userIds" });
    expect(res.errors?.[0]?.message).toContain(id(inactive!));
    expect(await assignmentsOfDefinition(definition.id)).toEqual([]);
  });
});

describe("bulkAssignKpi with 10,000 users", () => {
  let big: TestServer;
  beforeAll(async () => {
    big = await startTestServer({ BODY_LIMIT: "2mb" });
  });
  afterAll(() => big?.stop());

  it("assigns 10,000 users in one call, audits each, and returns them all as existing the second time", async () => {
    const label = unique("bulk");
    const { rows } = await big.database.pool.query<{ id: number }>(
      `INSERT INTO users (name, email, role)
       SELECT 'Bulk ' || g, $1 || '-' || g || '@test.example', 'user' FROM generate_series(1, 10000) g
       RETURNING id`,
      [label],
    );
    expect(rows).toHaveLength(10_000);
    const definition = await buildDefinition(big.database.db);
    const input = {
      kpiDefinitionId: id(definition),
      userIds: rows.map((row) => String(row.id)),
      targetValue: 5,
      weight: 10,
      startDate: "2026-01-01",
    };
    const query = `mutation($input: BulkAssignKpiInput!) { bulkAssignKpi(input: $input) { created { id } existing { id } } }`;

    const first = await big.gql(query, { input }, admin);
    expect(first.errors).toBeUndefined();
    expect(first.data!.bulkAssignKpi.created).toHaveLength(10_000);
    expect(first.data!.bulkAssignKpi.existing).toEqual([]);

    const counts = async () => {
      const {
        rows: [count],
      } = await big.database.pool.query<{ assignments: number; audits: number }>(
        // ANY(ARRAY(...)) rather than a join on entity_id = id::text, which the embedded database plans as a nested loop.
        `SELECT (SELECT count(*)::int FROM user_kpis WHERE kpi_definition_id = $1) AS assignments,
                (SELECT count(*)::int FROM audit_log
                  WHERE entity_type = 'user_kpi' AND action = 'user_kpi.create'
                    AND entity_id = ANY(ARRAY(SELECT id::text FROM user_kpis WHERE kpi_definition_id = $1))) AS audits`,
        [definition.id],
      );
      return count;
    };
    expect(await counts()).toEqual({ assignments: 10_000, audits: 10_000 });

    const second = await big.gql(query, { input }, admin);
    expect(second.errors).toBeUndefined();
    expect(second.data!.bulkAssignKpi.created).toEqual([]);
    expect(second.data!.bulkAssignKpi.existing).toHaveLength(10_000);
    expect(await counts()).toEqual({ assignments: 10_000, audits: 10_000 });
  }, 60_000);
});

describe("updateUserKpi", () => {
  it("lets the manager and an admin change target and weight, auditing before and after", async () => {
    const definition = await buildDefinition(db());
    const assignment = await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition,
      targetValue: 40,
      weight: 25,
    });

    const byManager = await server.gql(
      UPDATE,
      { id: id(assignment), input: { targetValue: 55.5, weight: 35 } },
      world.tokens.teamManager,
    );
    expect(byManager.errors).toBeUndefined();
    expect(byManager.data!.updateUserKpi).toMatchObject({
      targetValue: 55.5,
      weight: 35,
      startDate: "2026-01-01",
      isActive: true,
    });

    const byAdmin = await server.gql(UPDATE, { id: id(assignment), input: { weight: 5 } }, admin);
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data!.updateUserKpi).toMatchObject({ targetValue: 55.5, weight: 5 });

    const [row] = await assignmentsOf(world.users.user.id, definition.id);
    expect(row).toMatchObject({ targetValue: 55.5, weight: 5, endDate: null, isActive: true });
    const audit = await auditOf([assignment.id]);
    expect(audit.map((entry) => [entry.action, entry.actorId])).toEqual([
      ["user_kpi.update", world.users.teamManager.id],
      ["user_kpi.update", world.users.admin.id],
    ]);
    expect(audit[0]).toMatchObject({ before: { targetValue: 40, weight: 25 }, after: { targetValue: 55.5, weight: 35 } });
    expect(audit[1]).toMatchObject({ before: { targetValue: 55.5, weight: 35 }, after: { targetValue: 55.5, weight: 5 } });
  });

  it("refuses an end date before the start, an explicit null target and a weight over 100, changing nothing", async () => {
    const definition = await buildDefinition(db());
    const assignment = await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition,
      startDate: "2026-03-01",
    });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ endDate: "2026-02-28" }, "endDate"],
      [{ targetValue: null }, "targetValue"],
      [{ weight: 100.01 }, "weight"],
    ];
    for (const [input, field] of cases) {
      const res = await server.gql(UPDATE, { id: id(assignment), input }, world.tokens.teamManager);
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message).toMatch(new RegExp(`^${field}: `));
    }
    expect(await assignmentsOf(world.users.user.id, definition.id)).toEqual([assignment]);
    expect(await auditOf([assignment.id])).toEqual([]);
  });

  it("sets and clears the end date: null makes the assignment ongoing", async () => {
    const definition = await buildDefinition(db());
    const assignment = await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition,
      endDate: "2026-06-30",
    });
    const ended = await server.gql(UPDATE, { id: id(assignment), input: { endDate: "2026-09-30" } }, admin);
    expect(ended.data!.updateUserKpi.endDate).toBe("2026-09-30");
    const ongoing = await server.gql(UPDATE, { id: id(assignment), input: { endDate: null } }, world.tokens.teamManager);
    expect(ongoing.errors).toBeUndefined();
    expect(ongoing.data!.updateUserKpi.endDate).toBeNull();
    const [row] = await assignmentsOf(world.users.user.id, definition.id);
    expect(row!.endDate).toBeNull();
    // Leaving endDate out keeps it.
    await server.gql(UPDATE, { id: id(assignment), input: { weight: 1 } }, admin);
    expect((await assignmentsOf(world.users.user.id, definition.id))[0]).toMatchObject({ endDate: null, weight: 1 });
    expect((await auditOf([assignment.id]))[1]).toMatchObject({ before: { endDate: "2026-09-30" }, after: { endDate: null } });
  });

  it("refuses reactivating, or extending, an assignment into another active one of the same definition (CONFLICT)", async () => {
    const definition = await buildDefinition(db());
    const first = await buildAssignment(db(), {
      ...STORED,
      user: world.users.user,
      definition,
      startDate: "2026-01-01",
      endDate: "2026-03-31",
    });
    const deactivate = await server.gql(UPDATE, { id: id(first), input: { isActive: false } }, world.tokens.teamManager);
    expect(deactivate.data!.updateUserKpi.isActive).toBe(false);
    // With the first one inactive, an overlapping second one may be assigned.
    const second = await server.gql(
      ASSIGN,
      { userId: id(world.users.user), input: terms(definition, { startDate: "2026-02-01" }) },
      world.tokens.teamManager,
    );
    expect(second.errors).toBeUndefined();

    const reactivate = await server.gql(UPDATE, { id: id(first), input: { isActive: true } }, world.tokens.teamManager);
    expect(reactivate.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", userKpiId: second.data!.assignKpi.id });
    const [stored] = await db().select().from(userKpis).where(eq(userKpis.id, first.id));
    expect(stored!.isActive).toBe(false);

    // Ending it before the second one starts makes reactivating it possible.
    const fixed = await server.gql(
      UPDATE,
      { id: id(first), input: { isActive: true, endDate: "2026-01-31" } },
      world.tokens.teamManager,
    );
    expect(fixed.errors).toBeUndefined();
    expect(fixed.data!.updateUserKpi).toMatchObject({ isActive: true, endDate: "2026-01-31" });
    const extend = await server.gql(UPDATE, { id: id(first), input: { endDate: "2026-02-01" } }, admin);
    expect(extend.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  it("answers NOT_FOUND for an unknown assignment (admin) and refuses another team's manager", async () => {
    const missing = await server.gql(UPDATE, { id: "99999999", input: { weight: 1 } }, admin);
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", entity: "UserKpi", id: "99999999" });

    const definition = await buildDefinition(db());
    const assignment = await buildAssignment(db(), { ...STORED, user: world.users.user, definition });
    const other = await server.gql(UPDATE, { id: id(assignment), input: { weight: 1 } }, world.tokens.otherManager);
    expect(other.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await assignmentsOf(world.users.user.id, definition.id))[0]!.weight).toBe(25);
  });
});
