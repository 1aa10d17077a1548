import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import type { UserRow } from "../../src/db/schema/index.js";
import { LISTEN_APPLICATION_NAME } from "../../src/live/pg-notify-event-target.js";
import { CALCULATE, CREATE, RECORD, databaseSource, definitionInput, monthsBefore } from "../helpers/calculation.js";
import { buildAssignment, buildDefinition, buildUser } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { SubscriptionClients, type Feed } from "../helpers/subscription-client.js";

/**
 * Live updates end to end through graphql-ws clients. On PostgreSQL two servers on one database
 * stand for two processes that share only the database: a client of one receives what the other
 * stores (LISTEN/NOTIFY). The embedded database serves one process, so there the same tests run
 * within one server and the cross-process ones are skipped.
 */

const postgres = inject("databaseKind") === "postgres";
if (!postgres) {
  console.warn(
    "subscriptions: cross-process delivery is not tested on the embedded database (one process, no LISTEN); " +
      "set DATABASE_URL to test it",
  );
}

const SUBSCRIBE = `subscription($userId: ID!) {
  measurementRecorded(userId: $userId) { id periodStart periodEnd actualValue targetValue calculatedBy { id } }
}`;
const SUBSCRIBE_WITH_METADATA = `subscription($userId: ID!) {
  measurementRecorded(userId: $userId) { id actualValue calculationMetadata }
}`;

const clients = new SubscriptionClients();

/** Closes the test's clients and waits until `server` has let go of their subscriptions, so the next test counts its own. */
async function closeClients(server: TestServer, users: UserRow[]) {
  await clients.closeAll();
  for (const user of users) await listening(server, user, 0);
}

/** Waits until `server` holds `count` subscriptions to the user's measurements: events sent before would be missed. */
async function listening(server: TestServer, user: UserRow, count = 1) {
  await vi.waitFor(() => expect(server.running.services.live.listenerCount("measurementRecorded", user.id)).toBe(count), {
    timeout: 5_000,
  });
}

/** Waits for the feed's `count`-th result. */
async function received(feed: Feed, count = 1) {
  await vi.waitFor(() => expect(feed.results.length).toBeGreaterThanOrEqual(count), { timeout: 10_000 });
  return feed.results[count - 1]!;
}

/** How the feed ended, failing the test (rather than hanging it) when the server keeps it open. */
async function ending(feed: Feed) {
  await vi.waitFor(() => expect(feed.isOpen(), "the subscription is still open").toBe(false), { timeout: 10_000 });
  return feed.ended;
}

/** The code of the only error of a subscription refused when subscribing (a result with errors, then complete). */
async function refusal(feed: Feed) {
  expect(await ending(feed)).toEqual({ completed: true });
  expect(feed.results).toHaveLength(1);
  const [result] = feed.results;
  expect(result!.data ?? null).toBeNull();
  expect(result!.errors).toHaveLength(1);
  return result!.errors![0]!.extensions?.code;
}

describe("measurementRecorded on the shared database", () => {
  let serverA: TestServer;
  /** Another process on the same database (PostgreSQL); the same server on the embedded database. */
  let serverB: TestServer;
  let world: RoleWorld;
  let tokens: RoleWorld["tokens"];
  let manualDefinition: number;
  let userKpi: number;
  let otherUserKpi: number;

  beforeAll(async () => {
    serverA = await startTestServer();
    serverB = postgres ? await startTestServer() : serverA;
    world = await createRoleWorld(serverA);
    tokens = world.tokens;
    manualDefinition = (await buildDefinition(serverA.database.db, { calculationType: "manual" })).id;
    const terms = { definition: { id: manualDefinition }, targetValue: 4, startDate: "2018-01-01" };
    userKpi = (await buildAssignment(serverA.database.db, { user: world.users.user, ...terms })).id;
    otherUserKpi = (await buildAssignment(serverA.database.db, { user: world.users.otherUser, ...terms })).id;
  });

  afterEach(() => closeClients(serverA, [world.users.user, world.users.otherUser]));

  afterAll(async () => {
    if (serverB !== serverA) await serverB?.stop();
    await serverA?.stop();
  });

  /** Records a value for the period `monthsAgo` months before last month (each test its own period). */
  async function record(server: TestServer, assignment: number, actualValue: number, monthsAgo: number, token: string | null) {
    const period = monthsBefore(monthsAgo);
    const res = await server.gql(
      RECORD,
      { userKpiId: String(assignment), input: { actualValue, periodStart: period.start, periodEnd: period.end } },
      token,
    );
    expect(res.errors).toBeUndefined();
    return { id: res.data!.recordMeasurement.id as string, period };
  }

  const subscribe = (server: TestServer, role: keyof RoleWorld["tokens"], user: UserRow, query = SUBSCRIBE) =>
    clients.subscribe(server, tokens[role], query, { userId: String(user.id) });

  it.skipIf(!postgres)("the user receives their measurement recorded through another server process", async () => {
    const feed = subscribe(serverA, "user", world.users.user);
    await listening(serverA, world.users.user);
    const { id, period } = await record(serverB, userKpi, 3, 1, tokens.teamManager);
    const result = await received(feed);
    expect(result.errors).toBeUndefined();
    expect(result.data!.measurementRecorded).toEqual({
      id,
      periodStart: period.start,
      periodEnd: period.end,
      actualValue: 3,
      targetValue: 4,
      calculatedBy: { id: String(world.users.teamManager.id) },
    });
    expect(feed.isOpen()).toBe(true);
  });

  it("the user receives their measurement recorded through the same server", async () => {
    const feed = subscribe(serverA, "user", world.users.user);
    await listening(serverA, world.users.user);
    const { id } = await record(serverA, userKpi, 5, 2, tokens.teamManager);
    const result = await received(feed);
    expect(result.errors).toBeUndefined();
    expect(result.data!.measurementRecorded).toMatchObject({ id, actualValue: 5 });
  });

  it("a value calculated by calculateUserKpi reaches the subscriber", async () => {
    const created = await serverA.gql(CREATE, { input: definitionInput("QUERY", databaseSource("SELECT 7")) }, tokens.admin);
    expect(created.errors).toBeUndefined();
    const assignment = await buildAssignment(serverA.database.db, {
      user: world.users.user,
      definition: { id: Number(created.data!.createKpiDefinition.id) },
      targetValue: 10,
      weight: 10,
      startDate: "2018-01-01",
    });
    const feed = subscribe(serverA, "user", world.users.user);
    await listening(serverA, world.users.user);
    const calculated = await serverB.gql(CALCULATE, { userKpiId: String(assignment.id) }, tokens.admin);
    expect(calculated.errors).toBeUndefined();
    const result = await received(feed);
    expect(result.errors).toBeUndefined();
    expect(result.data!.measurementRecorded).toMatchObject({
      id: calculated.data!.calculateUserKpi.id,
      actualValue: 7,
      calculatedBy: null,
    });
  });

  it("the user's team manager and an admin receive the user's measurements", async () => {
    const manager = subscribe(serverA, "teamManager", world.users.user);
    // The bare token as `token` is accepted as well as `authorization: "Bearer …"`.
    const admin = clients.subscribe(serverA, null, SUBSCRIBE, { userId: String(world.users.user.id) }, { token: tokens.admin });
    await listening(serverA, world.users.user, 2);
    const { id } = await record(serverB, userKpi, 2, 3, tokens.teamManager);
    for (const feed of [manager, admin]) {
      const result = await received(feed);
      expect(result.errors).toBeUndefined();
      expect(result.data!.measurementRecorded).toMatchObject({ id, actualValue: 2 });
    }
  });

  it("refuses another user and another team's manager (FORBIDDEN), an anonymous connection (UNAUTHENTICATED)", async () => {
    expect(await refusal(subscribe(serverA, "otherUser", world.users.user))).toBe("FORBIDDEN");
    expect(await refusal(subscribe(serverA, "otherManager", world.users.user))).toBe("FORBIDDEN");
    expect(await refusal(subscribe(serverA, "anonymous", world.users.user))).toBe("UNAUTHENTICATED");
    // A manager's right reaches their team's members, not the manager's own measurements' readers elsewhere.
    expect(await refusal(subscribe(serverA, "teamManager", world.users.otherUser))).toBe("FORBIDDEN");
    expect(serverA.running.services.live.listenerCount("measurementRecorded", world.users.user.id)).toBe(0);
  });

  it("refuses an invalid token at connection_init: the socket closes with 4401 and the reason", async () => {
    const feed = clients.subscribe(
      serverA,
      null,
      SUBSCRIBE,
      { userId: String(world.users.user.id) },
      { authorization: "Bearer not-a-token" },
    );
    const end = await ending(feed);
    expect(end).toMatchObject({ error: { code: 4401 } });
    expect(String((end as { error: { reason: string } }).error.reason)).toMatch(/token/i);
    expect(feed.results).toEqual([]);
  });

  it("answers a malformed subscription and a query over WebSocket with BAD_USER_INPUT", async () => {
    const admin = (query: string, userId: unknown = String(world.users.user.id)) =>
      clients.subscribe(serverA, tokens.admin, query, { userId });
    const badId = admin(SUBSCRIBE, "not-an-id");
    expect(await refusal(badId)).toBe("BAD_USER_INPUT");
    const unknownField = await ending(admin(`subscription($userId: ID!) { measurementRecorded(userId: $userId) { nope } }`));
    expect(unknownField).toMatchObject({
      error: [{ extensions: { code: "BAD_USER_INPUT", reason: "GRAPHQL_VALIDATION_FAILED" } }],
    });
    const query = await ending(admin(`query { me { id } }`));
    expect(query).toMatchObject({ error: [{ extensions: { code: "BAD_USER_INPUT", reason: "BAD_REQUEST" } }] });
  });

  it("a subscriber never receives another user's measurement", async () => {
    const user = subscribe(serverA, "user", world.users.user);
    const otherAdmin = subscribe(serverA, "admin", world.users.otherUser);
    await listening(serverA, world.users.user);
    await listening(serverA, world.users.otherUser);
    const other = await record(serverB, otherUserKpi, 6, 4, tokens.otherManager);
    const own = await record(serverB, userKpi, 1, 4, tokens.teamManager);
    // Events arrive in the order they were published: once the user's own has come, the other's would have.
    expect((await received(user)).data!.measurementRecorded.id).toBe(own.id);
    expect((await received(otherAdmin)).data!.measurementRecorded.id).toBe(other.id);
    expect(user.results).toHaveLength(1);
    expect(otherAdmin.results).toHaveLength(1);
  });

  it("calculationMetadata is for admins only, as in queries; the subscription goes on", async () => {
    const user = subscribe(serverA, "user", world.users.user, SUBSCRIBE_WITH_METADATA);
    const admin = subscribe(serverA, "admin", world.users.user, SUBSCRIBE_WITH_METADATA);
    await listening(serverA, world.users.user, 2);
    const { id } = await record(serverB, userKpi, 4, 5, tokens.teamManager);
    const denied = await received(user);
    expect(denied.data!.measurementRecorded).toEqual({ id, actualValue: 4, calculationMetadata: null });
    expect(denied.errors).toEqual([
      expect.objectContaining({ path: ["measurementRecorded", "calculationMetadata"], extensions: { code: "FORBIDDEN" } }),
    ]);
    const shown = await received(admin);
    expect(shown.errors).toBeUndefined();
    expect(shown.data!.measurementRecorded).toEqual({ id, actualValue: 4, calculationMetadata: { source: "manual" } });
    expect(user.isOpen()).toBe(true);
  });

  it("checks each event again: a manager who loses the team gets FORBIDDEN and the subscription ends", async () => {
    const manager = subscribe(serverA, "teamManager", world.users.user);
    await listening(serverA, world.users.user);
    const membership = { teamId: String(world.team.id), userId: String(world.users.user.id) };
    const removed = await serverA.gql(
      `mutation($teamId: ID!, $userId: ID!) { removeTeamMember(teamId: $teamId, userId: $userId) { id } }`,
      membership,
      tokens.admin,
    );
    expect(removed.errors).toBeUndefined();
    try {
      await record(serverB, userKpi, 3, 6, tokens.admin);
      expect(await ending(manager)).toEqual({ completed: true });
      expect(manager.results).toHaveLength(1);
      expect(manager.results[0]!.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(manager.results[0]!.data?.measurementRecorded ?? null).toBeNull();
      await listening(serverA, world.users.user, 0);
    } finally {
      await serverA.gql(
        `mutation($teamId: ID!, $userId: ID!) { addTeamMember(teamId: $teamId, userId: $userId) { id } }`,
        membership,
        tokens.admin,
      );
    }
  });

  it("authenticates each event again: a deactivated account gets UNAUTHENTICATED and the subscription ends", async () => {
    const leaver = await buildUser(serverA.database.db);
    const assignment = await buildAssignment(serverA.database.db, {
      user: leaver,
      definition: { id: manualDefinition },
      targetValue: 4,
      startDate: "2018-01-01",
    });
    const feed = clients.subscribe(serverA, await serverA.jwt.sign(leaver), SUBSCRIBE, { userId: String(leaver.id) });
    await listening(serverA, leaver);
    const deactivated = await serverA.gql(
      `mutation($id: ID!) { updateUser(id: $id, input: { isActive: false }) { id } }`,
      { id: String(leaver.id) },
      tokens.admin,
    );
    expect(deactivated.errors).toBeUndefined();
    await record(serverB, assignment.id, 2, 7, tokens.admin);
    expect(await ending(feed)).toEqual({ completed: true });
    expect(feed.results).toHaveLength(1);
    expect(feed.results[0]!.errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
    await listening(serverA, leaver, 0);
  });
});

/**
 * A run's batch, calculated by a worker: on a database of this file's own, so that no other test
 * file's worker takes the job (and terminating LISTEN connections touches only these servers).
 */
describe("measurementRecorded from a calculation run", () => {
  let database: PrivateDatabase;
  /** The API process the client is connected to. */
  let api: TestServer;
  /** The process that calculates (a worker); the API process itself on the embedded database. */
  let worker: TestServer;
  let world: RoleWorld;
  let assignment: string;

  beforeAll(async () => {
    database = await createPrivateDatabase();
    worker = await startTestServer({ DATABASE_URL: database.url, JOBS_ENABLED: "true", JOBS_PROCESS_EVERY_MS: "100" });
    api = postgres ? await startTestServer({ DATABASE_URL: database.url }) : worker;
    world = await createRoleWorld(api);
    const created = await api.gql(CREATE, { input: definitionInput("QUERY", databaseSource("SELECT 9")) }, world.tokens.admin);
    expect(created.errors).toBeUndefined();
    const assigned = await api.gql(
      `mutation($userId: ID!, $input: AssignKpiInput!) { assignKpi(userId: $userId, input: $input) { id } }`,
      {
        userId: String(world.users.user.id),
        input: { kpiDefinitionId: created.data!.createKpiDefinition.id, targetValue: 10, weight: 50, startDate: "2018-01-01" },
      },
      world.tokens.admin,
    );
    expect(assigned.errors).toBeUndefined();
    assignment = assigned.data!.assignKpi.id;
  }, 60_000);

  afterEach(() => closeClients(api, [world.users.user]));

  afterAll(async () => {
    if (api !== worker) await api?.stop();
    await worker?.stop();
    await database?.drop();
  });

  it(`a measurement a run's batch stores reaches the subscriber${postgres ? " of another process" : ""}`, async () => {
    const feed = clients.subscribe(api, world.tokens.user, SUBSCRIBE, { userId: String(world.users.user.id) });
    await listening(api, world.users.user);
    const queued = await api.gql(
      `mutation($input: CalculateInput!) { calculateKpis(input: $input) { id } }`,
      { input: { userKpiIds: [assignment] } },
      world.tokens.admin,
    );
    expect(queued.errors).toBeUndefined();
    const result = await received(feed);
    expect(result.errors).toBeUndefined();
    expect(result.data!.measurementRecorded).toMatchObject({ actualValue: 9, targetValue: 10, calculatedBy: null });
  });

  it.skipIf(!postgres)("subscriptions outlive a lost LISTEN connection: it is re-made and delivery resumes", async () => {
    const feed = clients.subscribe(api, world.tokens.user, SUBSCRIBE, { userId: String(world.users.user.id) });
    await listening(api, world.users.user);
    /** The backends of the servers' LISTEN connections (the API server's and the worker's). */
    const listenerPids = () =>
      api.database.pool
        .query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND query LIKE 'LISTEN%'`,
          [LISTEN_APPLICATION_NAME],
        )
        .then((res) => res.rows.map((row) => row.pid));
    const before = await listenerPids();
    expect(before).toHaveLength(2);
    await api.database.pool.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [before]);
    await vi.waitFor(
      async () => {
        const after = await listenerPids();
        expect(after).toHaveLength(2);
        expect(after.filter((pid) => before.includes(pid))).toEqual([]);
      },
      { timeout: 10_000, interval: 100 },
    );
    const calculated = await worker.gql(CALCULATE, { userKpiId: assignment }, world.tokens.admin);
    expect(calculated.errors).toBeUndefined();
    expect((await received(feed)).data!.measurementRecorded).toMatchObject({
      id: calculated.data!.calculateUserKpi.id,
      actualValue: 9,
    });
  });
});
