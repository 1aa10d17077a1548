import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTeamMember } from "../helpers/factories.js";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * Operations run compiled by graphql-jit (src/graphql/compiled-execution.ts). Where its answers
 * could differ from graphql-js's, in errors and in which operation runs, they must not.
 */

let server: TestServer;
let world: RoleWorld;

beforeAll(async () => {
  server = await startTestServer();
  world = await createRoleWorld(server);
  await buildTeamMember(server.database.db, { team: world.team }); // a teammate of world.users.user
});
afterAll(() => server?.stop());

const post = async (body: unknown, token: string | null) => {
  const response = await server.post(JSON.stringify(body), token ? { authorization: `Bearer ${token}` } : {});
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
};

describe("compiled execution", () => {
  it("keeps a resolver's domain error, its code, details and path", async () => {
    const res = await server.gql(`query($id: ID!) { team(id: $id) { name } }`, { id: "99999999" }, world.tokens.admin!);
    expect(res.data).toEqual({ team: null });
    expect(res.errors).toEqual([
      expect.objectContaining({ path: ["team"], extensions: { code: "NOT_FOUND", entity: "Team", id: "99999999" } }),
    ]);
  });

  it("keeps a permission refusal deep in a list (a teammate's score), nulling only that field", async () => {
    const query = `query($id: ID!) { team(id: $id) { name members { user { name } overallScore } } }`;
    const res = await server.gql(query, { id: String(world.team.id) }, world.tokens.user);
    expect(res.data?.team.name).toBe(world.team.name);
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(new Set(res.errors!.map((error) => error.extensions?.code))).toEqual(new Set(["FORBIDDEN"]));
    expect(res.errors).toHaveLength(1);
    const [, , index] = res.errors![0]!.path!;
    expect(res.errors![0]!.path).toEqual(["team", "members", index, "overallScore"]);
    expect(res.data?.team.members[index!].overallScore).toBeNull();
    expect(res.data?.team.members).toHaveLength(2);
  });

  it("refuses a variable of the wrong type as BAD_USER_INPUT with HTTP 400, running nothing", async () => {
    const res = await post(
      { query: `query($id: ID!) { team(id: $id) { name } }`, variables: { id: { no: 1 } } },
      world.tokens.admin!,
    );
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.message).toMatch(/\$id/);
  });

  it("runs the operation the request names, and refuses a name the document lacks", async () => {
    const document = `query Mine { me { name } } query Teams { teams { name } }`;
    const named = await post({ query: document, operationName: "Teams" }, world.tokens.admin!);
    expect(named.status).toBe(200);
    expect(Object.keys(named.body.data ?? {})).toEqual(["teams"]);

    const single = `query Mine { me { name } }`;
    const unknown = await post({ query: single, operationName: "Other" }, world.tokens.admin!);
    expect(unknown.status).toBe(400);
    expect(unknown.body.data).toBeUndefined();
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(unknown.body.errors?.[0]?.message).toMatch(/Other/);
  });

  it("answers the same query from its compiled form with each request's own variables", async () => {
    const query = `query($id: ID!) { team(id: $id) { id } }`;
    const own = await server.gql(query, { id: String(world.team.id) }, world.tokens.admin!);
    const other = await server.gql(query, { id: String(world.otherTeam.id) }, world.tokens.admin!);
    expect(own.data).toEqual({ team: { id: String(world.team.id) } });
    expect(other.data).toEqual({ team: { id: String(world.otherTeam.id) } });
  });
});
