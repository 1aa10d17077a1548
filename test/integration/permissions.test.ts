import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  kpiDefinitions,
  kpiMeasurements,
  teamMembers,
  userKpis,
  users,
  type KpiDefinitionRow,
  type TeamRow,
  type UserKpiRow,
  type UserRow,
} from "../../src/db/schema/index.js";
import { todayIn } from "../../src/scoring/periods.js";
import {
  buildAlert,
  buildAlertRule,
  buildApiKey,
  buildAssignment,
  buildCalculationRun,
  buildDefinition,
  buildSnapshot,
  buildTeam,
  buildTeamMember,
  buildUser,
  unique,
} from "../helpers/factories.js";
import { createRoleWorld, ROLE_NAMES, type RoleName, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type GraphQLResponse, type TestServer } from "../helpers/server.js";

/**
 * Who may call what: every query and mutation of schema.graphql against the six roles of
 * test/helpers/roles.ts, then the guarded fields (e-mail, teams, members, externalIds, dataSource,
 * figures, calculationMetadata), unknown and malformed ids, a manager's own KPIs, and the scoping of
 * the list queries.
 */

let server: TestServer;
let world: RoleWorld;
/** A second member of `team` (role USER): the peer who sees `user`'s name but not their e-mail. */
let teammate: UserRow;
/** A team of `teammate` that `teamManager` does not manage. */
let sideTeam: TeamRow;
/** A definition created by `user`: the path by which a manager of another team reaches `user`. */
let definition: KpiDefinitionRow;
/** The last complete month, by the server's today: the period measurements are recorded for. */
let lastMonth: { start: string; end: string };
/** First day of the month a year before lastMonth: where assignments start, well before it. */
let assignmentStart: string;
/** A MANUAL monthly definition (allowed range 1..5), assigned to `user` as `assignment`. */
let manualDefinition: KpiDefinitionRow;
/** `user`'s assignment of manualDefinition (target 4, weight 50), measured 3 for lastMonth by admin. */
let assignment: UserKpiRow;
/** An assignment of `otherUser`: an existing target outside every path of `user` and `teamManager`. */
let strangerAssignment: UserKpiRow;
/** The achievement of that measurement (3 of 4), hence also `user`'s overall score and the team's average. */
let score: number;

beforeAll(async () => {
  server = await startTestServer();
  world = await createRoleWorld(server);
  const db = server.database.db;
  teammate = await buildUser(db, { role: "user" });
  await buildTeamMember(db, { team: world.team, user: teammate });
  sideTeam = await buildTeam(db, { members: [teammate] });
  definition = await buildDefinition(db, { createdBy: world.users.user.id });

  const [year, month] = todayIn(server.config.scoring.timeZone).split("-").map(Number);
  const firstOfMonth = (offset: number) => new Date(Date.UTC(year!, month! - 1 + offset, 1)).toISOString().slice(0, 10);
  lastMonth = { start: firstOfMonth(-1), end: firstOfMonth(0) };
  assignmentStart = firstOfMonth(-13);
  manualDefinition = await freshManualDefinition();
  assignment = await assignmentOf(world.users.user.id, manualDefinition.id);
  strangerAssignment = await assignmentOf(world.users.otherUser.id, manualDefinition.id);
  const recorded = await server.gql(
    RECORD,
    { userKpiId: id(assignment), input: { actualValue: 3, periodStart: lastMonth.start, periodEnd: lastMonth.end } },
    world.tokens.admin,
  );
  expect(recorded.errors).toBeUndefined();
  score = recorded.data!.recordMeasurement.achievementPercentage;
  expect(score).toBe(75);
  await buildSnapshot(db, { user: world.users.user, snapshotDate: lastMonth.end, overallScore: score });
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
  /** Checks after a denied call that it changed nothing. */
  unchanged?: (vars: Record<string, any>) => void | Promise<void>;
  /** Undoes what the run set up or did, so that `team` keeps just its members `user` and `teammate`. */
  cleanup?: (vars: Record<string, any>) => Promise<void>;
}

async function freshMemberOfTeam(): Promise<UserRow> {
  const member = await buildUser(server.database.db);
  await buildTeamMember(server.database.db, { team: world.team, user: member });
  return member;
}

async function freshKeyOfUser(): Promise<number> {
  return (await buildApiKey(server.database.db, { user: world.users.user })).id;
}

async function leaveTeam(vars: Record<string, any>): Promise<void> {
  await server.database.db
    .delete(teamMembers)
    .where(and(eq(teamMembers.teamId, world.team.id), eq(teamMembers.userId, Number(vars.userId))));
}

function freshManualDefinition(): Promise<KpiDefinitionRow> {
  return buildDefinition(server.database.db, { dataSource: { type: "manual", allowed_range: { min: 1, max: 5 } } });
}

/** An assignment (target 4, weight 50, from assignmentStart, ongoing) written straight to the database. */
function assignmentOf(userId: number, kpiDefinitionId: number): Promise<UserKpiRow> {
  return buildAssignment(server.database.db, {
    user: { id: userId },
    definition: { id: kpiDefinitionId },
    targetValue: 4,
    weight: 50,
    startDate: assignmentStart,
    assignedBy: world.users.admin,
  });
}

/** An assignment of `user` to a definition of its own, so that every run measures or changes something new. */
async function freshAssignmentOfUser(): Promise<UserKpiRow> {
  return assignmentOf(world.users.user.id, (await freshManualDefinition()).id);
}

const assignmentsOfDefinition = (kpiDefinitionId: number | string) =>
  server.database.db
    .select()
    .from(userKpis)
    .where(eq(userKpis.kpiDefinitionId, Number(kpiDefinitionId)))
    .orderBy(userKpis.userId);

async function assignmentById(userKpiId: number | string): Promise<UserKpiRow> {
  const [row] = await server.database.db
    .select()
    .from(userKpis)
    .where(eq(userKpis.id, Number(userKpiId)));
  return row!;
}

const measurementsOf = (userKpiId: number | string) =>
  server.database.db
    .select()
    .from(kpiMeasurements)
    .where(eq(kpiMeasurements.userKpiId, Number(userKpiId)));

/** Deletes a definition made for one run, and with it its assignments and their measurements. */
async function dropDefinition(kpiDefinitionId: number | string): Promise<void> {
  await server.database.db.delete(kpiDefinitions).where(eq(kpiDefinitions.id, Number(kpiDefinitionId)));
}

const dropDefinitionOfAssignment = async (userKpiId: number | string) =>
  dropDefinition((await assignmentById(userKpiId)).kpiDefinitionId);

/** The terms of a new assignment of the given definition, starting well before lastMonth. */
const terms = (kpiDefinitionId: number) => ({
  kpiDefinitionId: String(kpiDefinitionId),
  targetValue: 4,
  weight: 50,
  startDate: assignmentStart,
});

const USER_KPI = `query($id: ID!) { userKpi(id: $id) { id user { id } } }`;
const ASSIGN = `mutation($userId: ID!, $input: AssignKpiInput!) { assignKpi(userId: $userId, input: $input) { id user { id } kpiDefinition { id } assignedBy { id } } }`;
const BULK_ASSIGN = `mutation($input: BulkAssignKpiInput!) { bulkAssignKpi(input: $input) { created { user { id } kpiDefinition { id } } existing { id } } }`;
const UPDATE_USER_KPI = `mutation($id: ID!, $input: UpdateUserKpiInput!) { updateUserKpi(id: $id, input: $input) { id targetValue weight } }`;
const RECORD = `mutation($userKpiId: ID!, $input: RecordMeasurementInput!) { recordMeasurement(userKpiId: $userKpiId, input: $input) { periodStart periodEnd actualValue achievementPercentage calculatedBy { id } } }`;
const CALCULATE = `mutation($userKpiId: ID!) { calculateUserKpi(userKpiId: $userKpiId) { periodStart periodEnd actualValue achievementPercentage calculatedBy { id } } }`;
const PREVIEW = `mutation($input: CreateKpiDefinitionInput!, $userId: ID!) { previewKpiDefinition(input: $input, userId: $userId) { outcome value periodStart } }`;

const CALCULATE_KPIS = `mutation($input: CalculateInput!) { calculateKpis(input: $input) { id status trigger } }`;
const CREATE_RULE = `mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id kind threshold } }`;
const UPDATE_RULE = `mutation($id: ID!, $input: UpdateAlertRuleInput!) { updateAlertRule(id: $id, input: $input) { id threshold } }`;
const ACK_ALERT = `mutation($id: ID!) { acknowledgeAlert(id: $id) { id status } }`;
const SET_NOTIFICATIONS = `mutation($teamId: ID!, $input: TeamNotificationsInput!) { setTeamNotifications(teamId: $teamId, input: $input) { emails } }`;

let rulesBeforeCall = 0;
const ruleCount = async () =>
  (await server.database.pool.query("SELECT count(*)::int AS n FROM alert_rules")).rows[0].n as number;

/** An inactive SCORE_DROP rule (threshold 10) written straight to the database. */
async function freshRule(): Promise<number> {
  return (await buildAlertRule(server.database.db, { kind: "score_drop", threshold: 10, isActive: false })).id;
}

const ruleThreshold = async (ruleId: string) =>
  (await server.database.pool.query("SELECT threshold::float8 AS t FROM alert_rules WHERE id = $1", [ruleId])).rows[0]
    .t as number;

/** An open alert about `user` (a rule of its own, so that the one-open-alert-per-rule index never refuses it). */
async function freshAlertOfUser(): Promise<string> {
  return String((await buildAlert(server.database.db, { rule: { id: await freshRule() }, user: world.users.user })).id);
}

const alertStatus = async (alertId: string) =>
  (await server.database.pool.query("SELECT status FROM alerts WHERE id = $1", [alertId])).rows[0].status as string;
const CALCULATION_RUN = `query($id: ID!) { calculationRun(id: $id) { id status } }`;

let runsBeforeCall = 0;
// Runs asked for through calculateKpis only: other files' entries queue runs of their own ("measurement").
const runCount = async () =>
  (await server.database.pool.query("SELECT count(*)::int AS n FROM calculation_runs WHERE trigger = 'manual'")).rows[0]
    .n as number;

/** A queued run the team manager asked for (this server runs no worker: it stays queued). */
async function runOfTeamManager(): Promise<string> {
  return String(
    (await buildCalculationRun(server.database.db, { trigger: "manual", requestedBy: world.users.teamManager.id })).id,
  );
}

/** A QUERY definition, not saved yet, whose value is always 2. */
const previewInput = () => ({
  name: unique("KPI"),
  calculationType: "QUERY",
  dataSource: { type: "database", query: "SELECT 2" },
  aggregationPeriod: "MONTHLY",
  targetType: "HIGHER_BETTER",
});

/** An assignment of `user` to a QUERY definition of its own whose value is always 2. */
async function freshQueryAssignmentOfUser(): Promise<UserKpiRow> {
  const query = await buildDefinition(server.database.db, {
    calculationType: "query",
    dataSource: { type: "database", query: "SELECT 2" },
  });
  return assignmentOf(world.users.user.id, query.id);
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
  { field: "signInOptions", doc: `{ signInOptions { demo oidc { issuer } } }`,
    expect:                                                             [OK,       OK,   OK,       OK,         OK,          OK],
    check: (options) => expect(options).toEqual({ demo: false, oidc: null }) },
  // Demo sign-in is off on this server (no DEMO_SIGN_IN, no demo data): refused to everyone, admins too.
  { field: "demoAccounts", doc: `{ demoAccounts { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        DENY] },
  { field: "demoSignIn", doc: `mutation($id: ID!) { demoSignIn(userId: $id) { token } }`, vars: () => ({ id: id(world.users.admin) }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        DENY] },
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
  { field: "userKpi", label: "userKpi (an assignment of user)", doc: USER_KPI, vars: () => ({ id: id(assignment) }),
    expect:                                                             [ANON,     OK,   DENY,     OK,         DENY,        OK],
    check: (kpi) => expect(kpi).toEqual({ id: id(assignment), user: { id: id(world.users.user) } }) },

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
  // Each run assigns a definition of its own (dropped afterwards), so allowed runs never meet an earlier one.
  { field: "assignKpi", label: "assignKpi (to user)", doc: ASSIGN,
    vars: async () => ({ userId: id(world.users.user), input: terms((await freshManualDefinition()).id) }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: async (kpi, role, vars) => {
      expect(kpi).toEqual({ id: expect.any(String), user: { id: id(world.users.user) },
        kpiDefinition: { id: vars.input.kpiDefinitionId }, assignedBy: { id: viewerId(role) } });
      expect((await assignmentsOfDefinition(vars.input.kpiDefinitionId)).map(id)).toEqual([kpi.id]);
    },
    unchanged: async (vars) => expect(await assignmentsOfDefinition(vars.input.kpiDefinitionId)).toEqual([]),
    cleanup: (vars) => dropDefinition(vars.input.kpiDefinitionId) },
  { field: "bulkAssignKpi", label: "bulkAssignKpi(userIds: [user])", doc: BULK_ASSIGN,
    vars: async () => ({ input: { ...terms((await freshManualDefinition()).id), userIds: [id(world.users.user)] } }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: async (result, _role, vars) => {
      const kpiDefinition = { id: vars.input.kpiDefinitionId };
      expect(result).toEqual({ created: [{ user: { id: id(world.users.user) }, kpiDefinition }], existing: [] });
      expect((await assignmentsOfDefinition(vars.input.kpiDefinitionId)).map((a) => a.userId)).toEqual([world.users.user.id]);
    },
    unchanged: async (vars) => expect(await assignmentsOfDefinition(vars.input.kpiDefinitionId)).toEqual([]),
    cleanup: (vars) => dropDefinition(vars.input.kpiDefinitionId) },
  { field: "bulkAssignKpi", label: "bulkAssignKpi(teamId: team)", doc: BULK_ASSIGN,
    vars: async () => ({ input: { ...terms((await freshManualDefinition()).id), teamId: id(world.team) } }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: async (result, _role, vars) => {
      const members = [world.users.user.id, teammate.id].sort((a, b) => a - b);
      expect(result.existing).toEqual([]);
      expect(result.created.map((a: { user: { id: string } }) => Number(a.user.id)).sort((a: number, b: number) => a - b)).toEqual(members);
      expect((await assignmentsOfDefinition(vars.input.kpiDefinitionId)).map((a) => a.userId)).toEqual(members);
    },
    unchanged: async (vars) => expect(await assignmentsOfDefinition(vars.input.kpiDefinitionId)).toEqual([]),
    cleanup: (vars) => dropDefinition(vars.input.kpiDefinitionId) },
  { field: "updateUserKpi", label: "updateUserKpi (an assignment of user)", doc: UPDATE_USER_KPI,
    vars: async () => ({ id: id(await freshAssignmentOfUser()), input: { targetValue: 4.5, weight: 30 } }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: async (kpi, _role, vars) => {
      expect(kpi).toEqual({ id: vars.id, targetValue: 4.5, weight: 30 });
      expect(await assignmentById(vars.id)).toMatchObject({ targetValue: 4.5, weight: 30 });
    },
    unchanged: async (vars) => expect(await assignmentById(vars.id)).toMatchObject({ targetValue: 4, weight: 50 }),
    cleanup: (vars) => dropDefinitionOfAssignment(vars.id) },
  { field: "recordMeasurement", label: "recordMeasurement (an assignment of user, last month)", doc: RECORD,
    vars: async () => ({ userKpiId: id(await freshAssignmentOfUser()),
      input: { actualValue: 2, periodStart: lastMonth.start, periodEnd: lastMonth.end } }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: async (measurement, role, vars) => {
      expect(measurement).toEqual({ periodStart: lastMonth.start, periodEnd: lastMonth.end, actualValue: 2,
        achievementPercentage: 50, calculatedBy: { id: viewerId(role) } });
      expect((await measurementsOf(vars.userKpiId)).map((m) => m.actualValue)).toEqual([2]);
    },
    unchanged: async (vars) => expect(await measurementsOf(vars.userKpiId)).toEqual([]),
    cleanup: (vars) => dropDefinitionOfAssignment(vars.userKpiId) },
  { field: "calculateUserKpi", label: "calculateUserKpi (a QUERY assignment of user, last month)", doc: CALCULATE,
    vars: async () => ({ userKpiId: id(await freshQueryAssignmentOfUser()) }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: async (measurement, _role, vars) => {
      expect(measurement).toEqual({ periodStart: lastMonth.start, periodEnd: lastMonth.end, actualValue: 2,
        achievementPercentage: 50, calculatedBy: null });
      expect((await measurementsOf(vars.userKpiId)).map((m) => m.actualValue)).toEqual([2]);
    },
    unchanged: async (vars) => expect(await measurementsOf(vars.userKpiId)).toEqual([]),
    cleanup: (vars) => dropDefinitionOfAssignment(vars.userKpiId) },
  { field: "calculateKpis", label: "calculateKpis(teamId: team)", doc: CALCULATE_KPIS,
    vars: async () => {
      runsBeforeCall = await runCount();
      return { input: { teamId: id(world.team) } };
    },
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: async (run) => {
      expect(run).toMatchObject({ status: "QUEUED", trigger: "manual" });
      expect(await runCount()).toBe(runsBeforeCall + 1);
    },
    unchanged: async () => expect(await runCount()).toBe(runsBeforeCall) },
  { field: "calculationRun", label: "calculationRun (asked for by the team manager)", doc: CALCULATION_RUN,
    vars: async () => ({ id: await runOfTeamManager() }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: (run, _role, vars) => expect(run).toEqual({ id: vars.id, status: "QUEUED" }) },
  { field: "calculationRuns", doc: `{ calculationRuns(limit: 5) { id status } }`,
    expect:                                                             [ANON,     DENY, DENY,     OK,         OK,          OK] },
  { field: "calculationHealth", doc: `{ calculationHealth { unfinishedRuns lastDay { runs } schedules { aggregationPeriod } } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (health) => expect(health.schedules).toHaveLength(4) },
  { field: "alertRules", doc: `{ alertRules { id kind } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK] },
  { field: "alerts", label: "alerts (no team: the viewer's scope)", doc: `{ alerts { id status } }`,
    expect:                                                             [ANON,     DENY, DENY,     OK,         OK,          OK] },
  { field: "alerts", label: "alerts(teamId: team)", doc: `query($teamId: ID) { alerts(teamId: $teamId) { id user { id } } }`,
    vars: async () => ({ teamId: id(world.team), alertId: await freshAlertOfUser() }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: (alerts, _role, vars) => expect(alerts).toContainEqual({ id: vars.alertId, user: { id: id(world.users.user) } }) },
  { field: "createAlertRule", doc: CREATE_RULE,
    vars: async () => {
      rulesBeforeCall = await ruleCount();
      return { input: { name: unique("rule"), kind: "SCORE_DROP" } };
    },
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: async (rule) => {
      expect(rule).toMatchObject({ kind: "SCORE_DROP", threshold: 10 });
      expect(await ruleCount()).toBe(rulesBeforeCall + 1);
    },
    unchanged: async () => expect(await ruleCount()).toBe(rulesBeforeCall) },
  { field: "updateAlertRule", doc: UPDATE_RULE,
    vars: async () => ({ id: String(await freshRule()), input: { threshold: 25 } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (rule) => expect(rule.threshold).toBe(25),
    unchanged: async (vars) => expect(await ruleThreshold(vars.id)).toBe(10) },
  { field: "acknowledgeAlert", label: "acknowledgeAlert (about user)", doc: ACK_ALERT,
    vars: async () => ({ id: await freshAlertOfUser() }),
    expect:                                                             [ANON,     DENY, DENY,     OK,         DENY,        OK],
    check: (alert) => expect(alert.status).toBe("ACKNOWLEDGED"),
    unchanged: async (vars) => expect(await alertStatus(vars.id)).toBe("open") },
  { field: "setTeamNotifications", label: "setTeamNotifications(teamId: team)", doc: SET_NOTIFICATIONS,
    vars: () => ({ teamId: id(world.team), input: { emails: [`${unique("ops")}@example.com`] } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (settings, _role, vars) => expect(settings.emails).toEqual(vars.input.emails) },
  { field: "previewKpiDefinition", label: "previewKpiDefinition (for user)", doc: PREVIEW,
    vars: () => ({ input: previewInput(), userId: id(world.users.user) }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        OK],
    check: (preview) => expect(preview).toEqual({ outcome: "VALUE", value: 2, periodStart: lastMonth.start }) },
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
  { field: "userKpi", label: 'userKpi(id: "99999999")', doc: `{ userKpi(id: "99999999") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "userKpi", label: 'userKpi(id: "abc")', doc: `{ userKpi(id: "abc") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        BAD] },
  { field: "assignKpi", label: 'assignKpi(userId: "99999999")', doc: ASSIGN,
    vars: () => ({ userId: "99999999", input: terms(manualDefinition.id) }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING],
    unchanged: () => expect(assignmentsOfDefinition(manualDefinition.id)).resolves.toHaveLength(2) },
  { field: "bulkAssignKpi", label: 'bulkAssignKpi(userIds: ["99999999"])', doc: BULK_ASSIGN,
    vars: () => ({ input: { ...terms(manualDefinition.id), userIds: ["99999999"] } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "bulkAssignKpi", label: 'bulkAssignKpi(teamId: "99999999")', doc: BULK_ASSIGN,
    vars: () => ({ input: { ...terms(manualDefinition.id), teamId: "99999999" } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "updateUserKpi", label: 'updateUserKpi(id: "99999999")', doc: `mutation { updateUserKpi(id: "99999999", input: { weight: 10 }) { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "recordMeasurement", label: 'recordMeasurement(userKpiId: "99999999")', doc: RECORD,
    vars: () => ({ userKpiId: "99999999", input: { actualValue: 3, periodStart: lastMonth.start, periodEnd: lastMonth.end } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "calculateUserKpi", label: 'calculateUserKpi(userKpiId: "99999999")', doc: CALCULATE, vars: () => ({ userKpiId: "99999999" }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "calculationRun", label: 'calculationRun(id: "99999999")', doc: `{ calculationRun(id: "99999999") { id } }`,
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "calculateKpis", label: 'calculateKpis(teamId: "99999999")', doc: CALCULATE_KPIS,
    vars: () => ({ input: { teamId: "99999999" } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "acknowledgeAlert", label: 'acknowledgeAlert(id: "99999999")', doc: ACK_ALERT,
    vars: () => ({ id: "99999999" }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "setTeamNotifications", label: 'setTeamNotifications(teamId: "99999999")', doc: SET_NOTIFICATIONS,
    vars: () => ({ teamId: "99999999", input: { emails: [] } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "updateAlertRule", label: 'updateAlertRule(id: "99999999")', doc: UPDATE_RULE,
    vars: () => ({ id: "99999999", input: { threshold: 20 } }),
    expect:                                                             [ANON,     DENY, DENY,     DENY,       DENY,        MISSING] },
  { field: "previewKpiDefinition", label: 'previewKpiDefinition(userId: "99999999")', doc: PREVIEW,
    vars: () => ({ input: previewInput(), userId: "99999999" }),
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
            else await c.unchanged?.(vars);
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

  it.each(["user", "teamManager"] as const)(
    "%s: a denial for an unknown assignment reads exactly like one for otherUser's",
    async (role) => {
      for (const doc of [USER_KPI, `mutation($id: ID!) { updateUserKpi(id: $id, input: { weight: 10 }) { id } }`]) {
        const stranger = await server.gql(doc, { id: id(strangerAssignment) }, world.tokens[role]);
        const unknown = await server.gql(doc, { id: "99999999" }, world.tokens[role]);
        expect(stranger.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
        expect(unknown.errors).toEqual(stranger.errors);
        expect(unknown.data).toEqual(stranger.data);
      }
    },
  );
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

describe("User.kpis, overallScore and snapshots", () => {
  const figures = `query($id: ID!) { user(id: $id) { kpis { id } overallScore snapshots { snapshotDate overallScore } } }`;
  const expected = () => ({
    kpis: [{ id: id(assignment) }],
    overallScore: score,
    snapshots: [{ snapshotDate: lastMonth.end, overallScore: score }],
  });

  it.each(["user", "teamManager", "admin"] as const)("%s sees the figures of user", async (role) => {
    const res = await server.gql(figures, { id: id(world.users.user) }, world.tokens[role]);
    expect(res.errors).toBeUndefined();
    expect(res.data!.user).toEqual(expected());
  });

  it("user sees their own figures through me", async () => {
    const res = await server.gql(
      `{ me { kpis { id } overallScore snapshots { snapshotDate overallScore } } }`,
      {},
      world.tokens.user,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.me).toEqual(expected());
  });

  // overallScore is nullable: only it is nulled; kpis and snapshots are not, so the denial nulls createdBy.
  it.each([
    ["kpis", "kpis { id }", null],
    ["overallScore", "overallScore", { id: "user", overallScore: null }],
    ["snapshots", "snapshots { snapshotDate }", null],
  ] as const)("otherManager reaches user as creator of a definition: FORBIDDEN on %s", async (field, selection, createdBy) => {
    const res = await server.gql(
      `query($id: ID!) { kpiDefinition(id: $id) { id createdBy { id ${selection} } } }`,
      { id: id(definition) },
      world.tokens.otherManager,
    );
    expect(errorsByPath(res)).toEqual({ [`kpiDefinition.createdBy.${field}`]: "FORBIDDEN" });
    expect(res.data!.kpiDefinition).toEqual({
      id: id(definition),
      createdBy: createdBy && { ...createdBy, id: id(world.users.user) },
    });
  });

  it("teamManager sees them through the same path", async () => {
    const res = await server.gql(
      `query($id: ID!) { kpiDefinition(id: $id) { createdBy { kpis { id } overallScore snapshots { snapshotDate overallScore } } } }`,
      { id: id(definition) },
      world.tokens.teamManager,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.kpiDefinition.createdBy).toEqual(expected());
  });

  it("a teammate's kpis are FORBIDDEN to a member through Team.members.user", async () => {
    const token = await server.jwt.sign(teammate);
    const index = await memberIndexes(token);
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { id kpis { id } } } } }`,
      { id: id(world.team) },
      token,
    );
    expect(errorsByPath(res)).toEqual({ [`team.members.${index.get(id(world.users.user))}.user.kpis`]: "FORBIDDEN" });
    expect(res.data!.team).toBeNull();
  });
});

describe("TeamMember.overallScore and kpis", () => {
  const scores = `query($id: ID!) { team(id: $id) { members { user { id } overallScore } } }`;
  const kpisOfMembers = `query($id: ID!) { team(id: $id) { members { user { id } kpis { id } } } }`;

  it("user reads their own overallScore on their row and gets FORBIDDEN on the teammate's", async () => {
    const index = await memberIndexes(world.tokens.user);
    const res = await server.gql(scores, { id: id(world.team) }, world.tokens.user);
    expect(errorsByPath(res)).toEqual({ [`team.members.${index.get(id(teammate))}.overallScore`]: "FORBIDDEN" });
    expect(res.data!.team.members[index.get(id(world.users.user))!]).toEqual({
      user: { id: id(world.users.user) },
      overallScore: score,
    });
    expect(res.data!.team.members[index.get(id(teammate))!]).toEqual({ user: { id: id(teammate) }, overallScore: null });
  });

  it("the teammate gets FORBIDDEN on user's overallScore, which stays null", async () => {
    const token = await server.jwt.sign(teammate);
    const index = await memberIndexes(token);
    const res = await server.gql(scores, { id: id(world.team) }, token);
    expect(errorsByPath(res)).toEqual({ [`team.members.${index.get(id(world.users.user))}.overallScore`]: "FORBIDDEN" });
    expect(res.data!.team.members[index.get(id(world.users.user))!]).toEqual({
      user: { id: id(world.users.user) },
      overallScore: null,
    });
  });

  it("the teammate gets FORBIDDEN on user's kpis, not on their own row", async () => {
    const token = await server.jwt.sign(teammate);
    const index = await memberIndexes(token);
    const res = await server.gql(kpisOfMembers, { id: id(world.team) }, token);
    expect(errorsByPath(res)).toEqual({ [`team.members.${index.get(id(world.users.user))}.kpis`]: "FORBIDDEN" });
    // kpis is non-null: the denial nulls the team rather than handing out a partial member list.
    expect(res.data!.team).toBeNull();
  });

  it("user, alone in the team for a moment, reads their own kpis on their row", async () => {
    const db = server.database.db;
    await db.delete(teamMembers).where(and(eq(teamMembers.teamId, world.team.id), eq(teamMembers.userId, teammate.id)));
    try {
      const res = await server.gql(kpisOfMembers, { id: id(world.team) }, world.tokens.user);
      expect(res.errors).toBeUndefined();
      expect(res.data!.team.members).toEqual([{ user: { id: id(world.users.user) }, kpis: [{ id: id(assignment) }] }]);
    } finally {
      await buildTeamMember(db, { team: world.team, user: teammate });
    }
  });

  it.each(["teamManager", "admin"] as const)("%s sees the figures of every member", async (role) => {
    const res = await server.gql(
      `query($id: ID!) { team(id: $id) { members { user { id } overallScore kpis { id } } } }`,
      { id: id(world.team) },
      world.tokens[role],
    );
    expect(res.errors).toBeUndefined();
    const byUser = Object.fromEntries(
      res.data!.team.members.map((m: { user: { id: string }; overallScore: unknown; kpis: unknown }) => [
        m.user.id,
        { overallScore: m.overallScore, kpis: m.kpis },
      ]),
    );
    expect(byUser).toEqual({
      [id(world.users.user)]: { overallScore: score, kpis: [{ id: id(assignment) }] },
      [id(teammate)]: { overallScore: null, kpis: [] },
    });
  });
});

describe("Team.averages", () => {
  const averages = `query($id: ID!) { team(id: $id) { averages { overallScore kpiAverages { kpiDefinition { id } memberCount averageActualValue } } } }`;

  it.each(["user", "teamManager", "admin"] as const)("%s sees the averages of team", async (role) => {
    const res = await server.gql(averages, { id: id(world.team) }, world.tokens[role]);
    expect(res.errors).toBeUndefined();
    expect(res.data!.team.averages).toEqual({
      overallScore: score,
      kpiAverages: [{ kpiDefinition: { id: id(manualDefinition) }, memberCount: 1, averageActualValue: 3 }],
    });
  });

  it("a member (teammate) sees them too", async () => {
    const res = await server.gql(averages, { id: id(world.team) }, await server.jwt.sign(teammate));
    expect(res.errors).toBeUndefined();
    expect(res.data!.team.averages.overallScore).toBe(score);
  });

  it.each(["otherUser", "otherManager"] as const)("%s is FORBIDDEN at the team field", async (role) => {
    const res = await server.gql(averages, { id: id(world.team) }, world.tokens[role]);
    expect(errorsByPath(res)).toEqual({ team: "FORBIDDEN" });
    expect(res.data!.team).toBeNull();
  });

  it("teamManager reaching a report's other team: FORBIDDEN on its averages", async () => {
    const res = await server.gql(
      `query($id: ID!) { user(id: $id) { teams { id averages { overallScore } } } }`,
      { id: id(teammate) },
      world.tokens.teamManager,
    );
    const sideIndex = res.errors ? Number(res.errors[0]!.path![2]) : -1;
    expect(errorsByPath(res)).toEqual({ [`user.teams.${sideIndex}.averages`]: "FORBIDDEN" });
    expect(sideIndex).toBeGreaterThanOrEqual(0);
    expect(res.data!.user).toBeNull();
  });
});

describe("Team.notificationSettings (admins and the team's manager)", () => {
  const doc = `query($id: ID!) { team(id: $id) { name notificationSettings { emails hasWebhookSecret } } }`;

  it.each(["teamManager", "admin"] as const)("%s reads them", async (role) => {
    const res = await server.gql(doc, { id: id(world.team) }, world.tokens[role]);
    expect(res.errors).toBeUndefined();
    expect(res.data!.team.notificationSettings).toEqual({ emails: expect.any(Array), hasWebhookSecret: false });
  });

  it("a member sees the team but not where its alerts go", async () => {
    const res = await server.gql(doc, { id: id(world.team) }, world.tokens.user);
    expect(errorsByPath(res)).toEqual({ "team.notificationSettings": "FORBIDDEN" });
  });
});

describe("KpiMeasurement.calculationMetadata (admin only)", () => {
  const doc = `query($id: ID!) { userKpi(id: $id) { currentMeasurement { actualValue calculationMetadata } } }`;

  it("admin reads it", async () => {
    const res = await server.gql(doc, { id: id(assignment) }, world.tokens.admin);
    expect(res.errors).toBeUndefined();
    expect(res.data!.userKpi.currentMeasurement).toEqual({ actualValue: 3, calculationMetadata: { source: "manual" } });
  });

  it.each(["teamManager", "user"] as const)("%s reads actualValue but gets FORBIDDEN on calculationMetadata", async (role) => {
    const res = await server.gql(doc, { id: id(assignment) }, world.tokens[role]);
    expect(errorsByPath(res)).toEqual({ "userKpi.currentMeasurement.calculationMetadata": "FORBIDDEN" });
    expect(res.data!.userKpi.currentMeasurement).toEqual({ actualValue: 3, calculationMetadata: null });
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

// ── Managing KPIs: never one's own, never outside one's teams ──

describe("a manager who is a member of the team they manage", () => {
  /** An assignment of teamManager, made by admin. */
  let own: UserKpiRow;

  beforeAll(async () => {
    await buildTeamMember(server.database.db, { team: world.team, user: world.users.teamManager });
    own = await assignmentOf(world.users.teamManager.id, (await freshManualDefinition()).id);
  });
  afterAll(async () => {
    await leaveTeam({ userId: world.users.teamManager.id });
    await dropDefinition(own.kpiDefinitionId);
  });

  const forbiddenAt = (res: GraphQLResponse, field: string) => {
    expect(res.errors?.map((e) => ({ code: e.extensions?.code, path: e.path }))).toEqual([{ code: "FORBIDDEN", path: [field] }]);
    expect(res.data?.[field] ?? null).toBeNull();
  };

  it("is a member now: admin may assign them a KPI", async () => {
    expect(await isMemberOfTeam(world.users.teamManager.id)).toBe(true);
    const kpi = await freshManualDefinition();
    try {
      const res = await server.gql(ASSIGN, { userId: id(world.users.teamManager), input: terms(kpi.id) }, world.tokens.admin);
      expect(res.errors).toBeUndefined();
      expect(res.data!.assignKpi.user).toEqual({ id: id(world.users.teamManager) });
    } finally {
      await dropDefinition(kpi.id);
    }
  });

  it("assignKpi to themselves: FORBIDDEN, nothing created", async () => {
    const kpi = await freshManualDefinition();
    try {
      const res = await server.gql(
        ASSIGN,
        { userId: id(world.users.teamManager), input: terms(kpi.id) },
        world.tokens.teamManager,
      );
      forbiddenAt(res, "assignKpi");
      expect(await assignmentsOfDefinition(kpi.id)).toEqual([]);
    } finally {
      await dropDefinition(kpi.id);
    }
  });

  it("bulkAssignKpi(userIds: [themselves]): FORBIDDEN naming them, nothing created", async () => {
    const kpi = await freshManualDefinition();
    try {
      const input = { ...terms(kpi.id), userIds: [id(world.users.teamManager)] };
      const res = await server.gql(BULK_ASSIGN, { input }, world.tokens.teamManager);
      forbiddenAt(res, "bulkAssignKpi");
      expect(res.errors![0]!.extensions?.userIds).toEqual([id(world.users.teamManager)]);
      expect(await assignmentsOfDefinition(kpi.id)).toEqual([]);
    } finally {
      await dropDefinition(kpi.id);
    }
  });

  it("bulkAssignKpi(teamId) of the team they belong to: FORBIDDEN naming them, nothing created", async () => {
    const kpi = await freshManualDefinition();
    try {
      const input = { ...terms(kpi.id), teamId: id(world.team) };
      const res = await server.gql(BULK_ASSIGN, { input }, world.tokens.teamManager);
      forbiddenAt(res, "bulkAssignKpi");
      expect(res.errors![0]!.extensions?.userIds).toEqual([id(world.users.teamManager)]);
      expect(await assignmentsOfDefinition(kpi.id)).toEqual([]);
    } finally {
      await dropDefinition(kpi.id);
    }
  });

  it("updateUserKpi of their own assignment: FORBIDDEN, unchanged", async () => {
    const res = await server.gql(UPDATE_USER_KPI, { id: id(own), input: { targetValue: 1 } }, world.tokens.teamManager);
    forbiddenAt(res, "updateUserKpi");
    expect(await assignmentById(own.id)).toMatchObject({ targetValue: 4, weight: 50 });
  });

  it("recordMeasurement on their own assignment: FORBIDDEN, nothing recorded", async () => {
    const input = { actualValue: 5, periodStart: lastMonth.start, periodEnd: lastMonth.end };
    const res = await server.gql(RECORD, { userKpiId: id(own), input }, world.tokens.teamManager);
    forbiddenAt(res, "recordMeasurement");
    expect(await measurementsOf(own.id)).toEqual([]);
  });

  it("they still see their own assignment, as anyone does", async () => {
    const res = await server.gql(USER_KPI, { id: id(own) }, world.tokens.teamManager);
    expect(res.errors).toBeUndefined();
    expect(res.data!.userKpi).toEqual({ id: id(own), user: { id: id(world.users.teamManager) } });
  });
});

describe("bulkAssignKpi: one user outside the manager's teams refuses the whole call", () => {
  it("teamManager with userIds [user, otherUser]: FORBIDDEN naming otherUser, nothing created", async () => {
    const kpi = await freshManualDefinition();
    try {
      const input = { ...terms(kpi.id), userIds: [id(world.users.user), id(world.users.otherUser)] };
      const res = await server.gql(BULK_ASSIGN, { input }, world.tokens.teamManager);
      expect(res.errors?.map((e) => ({ code: e.extensions?.code, path: e.path }))).toEqual([
        { code: "FORBIDDEN", path: ["bulkAssignKpi"] },
      ]);
      expect(res.data?.bulkAssignKpi ?? null).toBeNull();
      expect(res.errors![0]!.message).toContain(id(world.users.otherUser));
      expect(res.errors![0]!.extensions?.userIds).toEqual([id(world.users.otherUser)]);
      expect(await assignmentsOfDefinition(kpi.id)).toEqual([]);
    } finally {
      await dropDefinition(kpi.id);
    }
  });
});
