import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UserKpiRow } from "../../src/db/schema/index.js";
import { buildAssignment, buildDefinition, buildMeasurement } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type GraphQLResponse, type TestServer } from "../helpers/server.js";

/**
 * The response cache (src/graphql/response-cache.ts) on a database of this file's own: a hit needs
 * two requests with no commit between them, which the shared database, written by every test file
 * at once, cannot promise.
 */

let database: PrivateDatabase;
let server: TestServer;
let world: RoleWorld;
let assignment: UserKpiRow;

const TEAM = `query($id: ID!) { team(id: $id) { name members { user { name } overallScore kpis { currentMeasurement { actualValue } } } } }`;
const CACHE = "x-response-cache";

function lastMonth(): { start: string; end: string } {
  const now = new Date();
  const month = (offset: number) =>
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString().slice(0, 10);
  return { start: month(-1), end: month(0) };
}

beforeAll(async () => {
  database = await createPrivateDatabase();
  server = await startTestServer({ DATABASE_URL: database.url, SQL_STATEMENT_HEADER: "true", KPI_TIMEZONE: "UTC" });
  world = await createRoleWorld(server);
  const db = server.database.db;
  const definition = await buildDefinition(db, { dataSource: { type: "manual", allowed_range: { min: 0, max: 1000 } } });
  assignment = await buildAssignment(db, { user: world.users.user, definition });
  await buildMeasurement(db, { assignment, periodStart: lastMonth().start, actualValue: 80 });
});
afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

const teamOf = (token: string | null) => server.gql(TEAM, { id: String(world.team.id) }, token);
const actualValue = (res: GraphQLResponse) => res.data!.team.members[0].kpis[0].currentMeasurement.actualValue;
const statements = (res: GraphQLResponse) => Number(res.headers.get("x-sql-statements"));

describe("response cache", () => {
  it("answers a repeated query from the cache with the same response in two statements (viewer, snapshot)", async () => {
    const first = await teamOf(world.tokens.teamManager);
    const second = await teamOf(world.tokens.teamManager);
    expect(first.errors).toBeUndefined();
    expect(first.headers.get(CACHE)).toBe("miss");
    expect(second.headers.get(CACHE)).toBe("hit");
    expect(second.data).toEqual(first.data);
    expect(actualValue(second)).toBe(80);
    expect(statements(first)).toBeGreaterThan(4);
    expect(statements(second)).toBe(2);
  });

  it("shows a value recorded through the API at once", async () => {
    await teamOf(world.tokens.teamManager);
    const recorded = await server.gql(
      `mutation($id: ID!, $input: RecordMeasurementInput!) { recordMeasurement(userKpiId: $id, input: $input) { actualValue } }`,
      { id: String(assignment.id), input: { actualValue: 95, periodStart: lastMonth().start, periodEnd: lastMonth().end } },
      world.tokens.teamManager,
    );
    expect(recorded.errors).toBeUndefined();
    expect(recorded.headers.get(CACHE)).toBeNull(); // mutations neither read nor fill the cache
    const after = await teamOf(world.tokens.teamManager);
    expect(after.headers.get(CACHE)).toBe("miss");
    expect(actualValue(after)).toBe(95);
  });

  it("shows a change committed by another process (any connection to the database) at once", async () => {
    const before = await teamOf(world.tokens.teamManager);
    expect(actualValue(before)).toBe(95);
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query("UPDATE kpi_measurements SET actual_value = 42 WHERE user_kpi_id = $1", [assignment.id]);
    } finally {
      await other.end();
    }
    const after = await teamOf(world.tokens.teamManager);
    expect(after.headers.get(CACHE)).toBe("miss");
    expect(actualValue(after)).toBe(42);
  });

  it("never serves one viewer's response to another", async () => {
    const manager = await teamOf(world.tokens.teamManager);
    expect(manager.data!.team.members[0].overallScore).not.toBeNull();
    // Same query and variables, another viewer: the other manager is refused, every time.
    for (let i = 0; i < 2; i++) {
      const outsider = await teamOf(world.tokens.otherManager);
      expect(outsider.headers.get(CACHE)).toBe("miss"); // a response with errors is never cached
      expect(outsider.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(outsider.data?.team ?? null).toBeNull();
    }
    const anonymous = await teamOf(null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const admin = await teamOf(world.tokens.admin);
    expect(admin.headers.get(CACHE)).toBe("miss");
    expect(admin.data).toEqual(manager.data);
  });

  it("keeps the queries of different variables apart", async () => {
    const own = await teamOf(world.tokens.admin);
    const other = await server.gql(TEAM, { id: String(world.otherTeam.id) }, world.tokens.admin);
    expect(other.headers.get(CACHE)).toBe("miss");
    expect(other.data!.team.name).toBe(world.otherTeam.name);
    expect(own.data!.team.name).toBe(world.team.name);
  });
});

describe("documents the cache cannot key", () => {
  // The cache keys on the operation Apollo resolved: where there is none, Apollo's own 400 stands.
  it.each([
    ["several operations and no operationName", { query: "query A { me { id } } query B { me { name } }" }],
    ["an operationName not in the document", { query: "query A { me { id } }", operationName: "Missing" }],
  ])("%s: a 400 naming the problem, never a 500", async (_case, body) => {
    for (const token of [null, world.tokens.user]) {
      const response = await server.post(JSON.stringify(body), token ? { authorization: `Bearer ${token}` } : {});
      expect(response.status).toBe(400);
      const result = (await response.json()) as GraphQLResponse;
      expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(result.errors?.[0]?.message).toMatch(/operation/i);
    }
  });
});

describe("response cache off", () => {
  it("executes every query when RESPONSE_CACHE_MB is 0", async () => {
    const uncached = await startTestServer({ DATABASE_URL: database.url, SQL_STATEMENT_HEADER: "true", RESPONSE_CACHE_MB: "0" });
    try {
      const query = (token: string) => uncached.gql(TEAM, { id: String(world.team.id) }, token);
      const first = await query(world.tokens.teamManager!);
      const second = await query(world.tokens.teamManager!);
      expect(second.headers.get(CACHE)).toBeNull();
      expect(statements(second)).toBe(statements(first));
      expect(second.data).toEqual(first.data);
    } finally {
      await uncached.stop();
    }
  });
});
