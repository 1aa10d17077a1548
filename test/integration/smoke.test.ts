import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let world: RoleWorld;

beforeAll(async () => {
  server = await startTestServer();
  world = await createRoleWorld(server);
});
afterAll(() => server?.stop());

describe("me", () => {
  it("returns the authenticated user", async () => {
    const res = await server.gql("{ me { id name role email } }", {}, world.tokens.user);
    expect(res.errors).toBeUndefined();
    expect(res.data?.me).toMatchObject({ id: String(world.users.user.id), role: "USER", email: world.users.user.email });
  });
});
