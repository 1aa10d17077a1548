import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type GraphQLResponse, type TestServer } from "../helpers/server.js";

/**
 * Abuse limits (depth, aliases, cost, batches, body size) and production hygiene (CSRF prevention,
 * no stack traces, no schema leaks, health endpoints, request ids), all through real HTTP.
 */

type ErrorBody = Omit<GraphQLResponse, "status" | "headers">;

async function readJson(response: Response): Promise<ErrorBody & Record<string, any>> {
  return (await response.json()) as ErrorBody & Record<string, any>;
}

function firstError(body: { errors?: GraphQLResponse["errors"] }) {
  expect(body.errors, "expected an errors array").toBeInstanceOf(Array);
  expect(body.errors!.length).toBeGreaterThan(0);
  return body.errors![0]!;
}

function aliasFlood(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: me { id }`).join(" ")} }`;
}

const DEEP_QUERY = "{ teams { members { user { teams { members { user { teams { name } } } } } } } }";
// Seven levels deep yet cheap (single objects and short lists): only the depth limit can refuse it.
const DEEP_CHEAP_QUERY = "{ me { teams { manager { teams { manager { teams { name } } } } } } }";
const COSTLY_QUERY = "{ users(limit: 1000) { teams { members { user { teams { name } } } } } }";
const DASHBOARD_QUERY = `{
  teams { name manager { name } members { user { id name email teams { name } } } }
  kpiDefinitions { name unit }
}`;

let server: TestServer;
let world: RoleWorld;

beforeAll(async () => ({ server, world } = await startServerWithRoles()));
afterAll(() => server?.stop());

describe("query depth (MAX_QUERY_DEPTH)", () => {
  let shallow: TestServer;
  beforeAll(async () => {
    shallow = await startTestServer({ MAX_QUERY_DEPTH: "5" });
  });
  afterAll(() => shallow?.stop());

  it("refuses a query nested deeper than the limit with 400 BAD_USER_INPUT, before any resolver runs", async () => {
    const res = await shallow.gql(DEEP_QUERY, {}, world.tokens.admin);
    expect(res.status).toBe(400);
    const error = firstError(res);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/depth limit of 5/i);
    expect(error.extensions?.limit).toBe("MAX_QUERY_DEPTH");
    expect(res.data).toBeUndefined();
  });

  it("refuses a cheap but deep query too (depth, not cost, decides)", async () => {
    const res = await shallow.gql(DEEP_CHEAP_QUERY, {}, world.tokens.admin);
    expect(res.status).toBe(400);
    const error = firstError(res);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.extensions?.limit).toBe("MAX_QUERY_DEPTH");
    expect(res.data).toBeUndefined();
  });

  it("accepts a query within the limit", async () => {
    const res = await shallow.gql("{ teams { members { user { name } } } }", {}, world.tokens.admin);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data?.teams).toBeInstanceOf(Array);
  });

  it("uses the default limit of 12 otherwise: the same cheap deep query passes on the default server", async () => {
    const res = await server.gql(DEEP_CHEAP_QUERY, {}, world.tokens.admin);
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
  });
});

describe("aliases (MAX_ALIASES)", () => {
  it("refuses an alias flood with 400 BAD_USER_INPUT naming aliases, not a 500", async () => {
    const res = await server.gql(aliasFlood(50), {}, world.tokens.user);
    expect(res.status).toBe(400);
    const error = firstError(res);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/aliases limit of 30/i);
    expect(error.extensions?.limit).toBe("MAX_ALIASES");
    expect(res.data).toBeUndefined();
  });

  it("counts aliases of __typename too", async () => {
    const typenames = Array.from({ length: 31 }, (_, i) => `t${i}: __typename`).join(" ");
    const res = await server.gql(`{ ${typenames} }`);
    expect(res.status).toBe(400);
    expect(firstError(res).extensions?.limit).toBe("MAX_ALIASES");
  });

  it("accepts 30 aliases (the default limit)", async () => {
    const res = await server.gql(aliasFlood(30), {}, world.tokens.user);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data?.a29).toEqual({ id: String(world.users.user.id) });
  });
});

describe("query cost (MAX_QUERY_COST)", () => {
  it("refuses a query whose estimated cost exceeds the limit with 400 and extensions.limit", async () => {
    const res = await server.gql(COSTLY_QUERY, {}, world.tokens.admin);
    expect(res.status).toBe(400);
    const error = firstError(res);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.extensions?.limit).toBe("MAX_QUERY_COST");
    expect(error.extensions?.maxCost).toBe(20_000);
    expect(error.extensions?.cost).toBeGreaterThan(20_000);
    expect(error.message).toMatch(/MAX_QUERY_COST/);
    expect(res.data).toBeUndefined();
  });

  it("refuses a query of more fields than the count reads (fragments spread exponentially) with 400, not a 500", async () => {
    // 15 levels of a fragment spread twice: 2^15 __typename fields from a query of a few hundred bytes.
    const levels = Array.from({ length: 15 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
    const query = `{ ...F0 } ${levels.join(" ")} fragment F15 on Query { __typename }`;
    for (const token of [null, world.tokens.user]) {
      const res = await server.gql(query, {}, token);
      expect(res.status).toBe(400);
      const error = firstError(res);
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.extensions?.limit).toBe("MAX_QUERY_COST");
      expect(error.message).toMatch(/more than 10000 fields/);
    }
  });

  it("lets a realistic admin dashboard query through under the default limits", async () => {
    const res = await server.gql(DASHBOARD_QUERY, {}, world.tokens.admin);
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    const team = (res.data?.teams as Array<{ name: string; members: Array<{ user: { id: string } }> }>).find(
      (t) => t.name === world.team.name,
    );
    expect(team?.members.map((m) => m.user.id)).toContain(String(world.users.user.id));
    expect(res.data?.kpiDefinitions).toBeInstanceOf(Array);
  });
});

describe("batched requests (MAX_BATCH_OPERATIONS)", () => {
  const batch = (count: number) => JSON.stringify(Array.from({ length: count }, () => ({ query: "{ me { id } }" })));
  const auth = () => ({ authorization: `Bearer ${world.tokens.user}` });

  it("refuses a batch of 11 operations with 400 BAD_USER_INPUT naming MAX_BATCH_OPERATIONS", async () => {
    const response = await server.post(batch(11), auth());
    expect(response.status).toBe(400);
    const error = firstError(await readJson(response));
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/MAX_BATCH_OPERATIONS/);
  });

  it("accepts a batch at the limit (10)", async () => {
    const response = await server.post(batch(10), auth());
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveLength(10);
  });

  it("answers a batch of 2 with an array of 2 results", async () => {
    const body = JSON.stringify([{ query: "{ me { id } }" }, { query: "{ me { email } }" }]);
    const response = await server.post(body, auth());
    expect(response.status).toBe(200);
    const results = (await response.json()) as Array<{ data?: any; errors?: unknown }>;
    expect(results).toHaveLength(2);
    expect(results[0]).toEqual({ data: { me: { id: String(world.users.user.id) } } });
    expect(results[1]).toEqual({ data: { me: { email: world.users.user.email } } });
  });
});

describe("request bodies (BODY_LIMIT)", () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ BODY_LIMIT: "1kb" });
  });
  afterAll(() => small?.stop());

  it("refuses a body larger than the limit with 413 BAD_USER_INPUT", async () => {
    const body = JSON.stringify({ query: "{ __typename }", variables: { padding: "x".repeat(5_000) } });
    expect(body.length).toBeGreaterThan(5_000);
    const response = await small.post(body);
    expect(response.status).toBe(413);
    const error = firstError(await readJson(response));
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/BODY_LIMIT/);
  });

  it("accepts a small body on the same server", async () => {
    const response = await small.post(JSON.stringify({ query: "{ __typename }" }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("refuses malformed JSON with 400 BAD_USER_INPUT", async () => {
    const response = await server.post('{"query": "{ __typename }"');
    expect(response.status).toBe(400);
    const body = await readJson(response);
    const error = firstError(body);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(JSON.stringify(body)).not.toMatch(/SyntaxError|stack|at JSON\.parse/);
    // The app's last error handler answers it, in the one error shape of every route.
    expect(body).toEqual({ errors: [{ message: "Malformed request body", extensions: { code: "BAD_USER_INPUT" } }] });
  });
});

describe("CSRF prevention", () => {
  const getUrl = () => `${server.graphqlUrl}?query=${encodeURIComponent("{__typename}")}`;

  it("refuses a simple GET without a preflight header with 400", async () => {
    const response = await fetch(getUrl());
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toMatch(/CSRF|Cross-Site Request Forgery/i);
    expect(text).not.toContain('"__typename":"Query"');
  });

  it("answers the same GET when it carries apollo-require-preflight", async () => {
    const response = await fetch(getUrl(), { headers: { "apollo-require-preflight": "true" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: "Query" } });
  });
});

describe("error hygiene", () => {
  let production: TestServer;
  let productionWithIntrospection: TestServer;
  beforeAll(async () => {
    [production, productionWithIntrospection] = await Promise.all([
      startTestServer({ NODE_ENV: "production" }),
      startTestServer({ NODE_ENV: "production", INTROSPECTION: "true" }),
    ]);
  });
  afterAll(() => Promise.all([production?.stop(), productionWithIntrospection?.stop()]));

  const INTROSPECTION_QUERY = "{ __schema { types { name } } }";

  it("never puts a stack trace in a validation error", async () => {
    for (const target of [server, production]) {
      const response = await target.post(JSON.stringify({ query: "{ me { nope } }" }));
      expect(response.status).toBe(400);
      const body = await readJson(response);
      const error = firstError(body);
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.extensions).not.toHaveProperty("stacktrace");
      expect(error.extensions).not.toHaveProperty("exception");
      expect(JSON.stringify(body)).not.toMatch(/stacktrace|\.ts:\d+|node_modules/);
    }
  });

  it("suggests field names in test mode", async () => {
    const res = await server.gql("{ me { nam } }", {}, world.tokens.user);
    expect(res.status).toBe(400);
    expect(firstError(res).message).toMatch(/Did you mean "name"/);
  });

  it("gives no field suggestions in production", async () => {
    const res = await production.gql("{ me { nam } }", {}, world.tokens.user);
    expect(res.status).toBe(400);
    const error = firstError(res);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/Cannot query field "nam"/);
    expect(error.message).not.toMatch(/Did you mean/i);
  });

  it("gives no suggestions in production for bad variable values either (input fields, enum values)", async () => {
    const badField = [
      `mutation($input: UpdateUserInput!) { updateUser(id: "1", input: $input) { id } }`,
      { input: { nam: "x" } },
    ] as const;
    const badEnum = [`query($role: Role) { users(filter: { role: $role }) { id } }`, { role: "ADMN" }] as const;
    for (const [query, variables] of [badField, badEnum]) {
      const inTest = await server.gql(query, variables, world.tokens.admin);
      expect(firstError(inTest).message).toMatch(/Did you mean/);
      const res = await production.gql(query, variables, world.tokens.admin);
      expect(res.status).toBe(400);
      const error = firstError(res);
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.message).toMatch(/\$input|\$role/);
      expect(JSON.stringify(res)).not.toMatch(/Did you mean|"name"|"ADMIN"/);
    }
  });

  it("refuses text PostgreSQL cannot store (NUL, lone surrogates) with 400 BAD_USER_INPUT, and creates nothing", async () => {
    const email = `nul-${Date.now()}@example.com`;
    const create = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
    for (const name of ["Eve\u0000Admin", "Eve\uD800"]) {
      const res = await server.gql(create, { input: { name, email, role: "USER" } }, world.tokens.admin);
      expect(res.status).toBe(400);
      expect(firstError(res).extensions?.code).toBe("BAD_USER_INPUT");
      expect(firstError(res).message).toMatch(/^\$input\.name: /);
    }
    const literal = await server.gql(`{ users(filter: { search: "a\\u0000b" }) { id } }`, {}, world.tokens.admin);
    expect(literal.status).toBe(400);
    expect(firstError(literal).extensions?.code).toBe("BAD_USER_INPUT");
    const found = await server.gql(
      `query($s: String) { users(filter: { search: $s }) { id } }`,
      { s: email },
      world.tokens.admin,
    );
    expect(found.data?.users).toEqual([]);
  });

  it("allows introspection in test mode", async () => {
    const res = await server.gql(INTROSPECTION_QUERY);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const names = (res.data?.__schema.types as Array<{ name: string }>).map((t) => t.name);
    expect(names).toContain("KpiDefinition");
  });

  it("refuses introspection in production", async () => {
    const res = await production.gql(INTROSPECTION_QUERY, {}, world.tokens.admin);
    expect(res.status).toBe(400);
    const error = firstError(res);
    expect(error.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/introspection/i);
    expect(res.data).toBeUndefined();
  });

  it("allows introspection in production when INTROSPECTION=true", async () => {
    const res = await productionWithIntrospection.gql(INTROSPECTION_QUERY);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect((res.data?.__schema.types as unknown[]).length).toBeGreaterThan(10);
  });
});

describe("health, readiness and request ids", () => {
  it("GET /healthz answers 200 {status: ok}", async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz answers 200 {status: ready} while the database is reachable", async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready" });
  });

  it("echoes a given x-request-id", async () => {
    const response = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "trace-abc.123_X" } });
    expect(response.headers.get("x-request-id")).toBe("trace-abc.123_X");
    const res = await server.post(JSON.stringify({ query: "{ __typename }" }), { "x-request-id": "gql-req-42" });
    expect(res.headers.get("x-request-id")).toBe("gql-req-42");
  });

  it("generates an x-request-id when none (or an unusable one) is sent", async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const first = await fetch(`${server.url}/healthz`);
    const second = await fetch(`${server.url}/healthz`);
    expect(first.headers.get("x-request-id")).toMatch(uuid);
    expect(second.headers.get("x-request-id")).toMatch(uuid);
    expect(first.headers.get("x-request-id")).not.toBe(second.headers.get("x-request-id"));

    const injected = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "bad id <script>" } });
    expect(injected.headers.get("x-request-id")).toMatch(uuid);
  });
});

describe("routing", () => {
  it("answers an unknown route with 404", async () => {
    const get = await fetch(`${server.url}/no-such-route`);
    expect(get.status).toBe(404);
    // The one error shape of every route, GraphQL's.
    expect(await get.json()).toEqual({ errors: [{ message: "Not found", extensions: { code: "NOT_FOUND" } }] });
    const post = await fetch(`${server.url}/api/graphql`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(post.status).toBe(404);
  });

  it("serves GraphQL at /graphql only, not below it", async () => {
    const below = await fetch(`${server.url}/graphql/extra`, {
      method: "POST",
      body: JSON.stringify({ query: "{ __typename }" }),
      headers: { "content-type": "application/json" },
    });
    expect(below.status).toBe(404);
  });
});
