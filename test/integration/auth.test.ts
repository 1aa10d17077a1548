import { eq } from "drizzle-orm";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, users, type UserRow } from "../../src/db/schema/index.js";
import { buildUser, unique } from "../helpers/factories.js";
import { startTestServer, TEST_JWT_SECRET, type GraphQLResponse, type TestServer } from "../helpers/server.js";

const ME = "{ me { id email } }";
const CREATE_KEY = "mutation ($name: String!) { createApiKey(name: $name) { id name token } }";
const REVOKE_KEY = "mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }";
const LIST_KEYS = "{ apiKeys { id name prefix lastUsedAt revokedAt } }";
const MISSING_ID = "2147483000";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An HS256 token built by hand, so that each claim can be left out or set wrong. */
function signHs(claims: { sub?: string; exp?: number | null; iat?: number }, secret = TEST_JWT_SECRET): Promise<string> {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(claims.iat);
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.exp !== null) jwt = jwt.setExpirationTime(claims.exp ?? now() + 300);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** A request with the Authorization header exactly as given. */
async function withHeader(authorization: string, query = ME): Promise<GraphQLResponse> {
  const response = await server.post(JSON.stringify({ query }), { authorization });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

function expectRefused(res: GraphQLResponse, label?: string) {
  expect(res.status, label).toBe(401);
  expect(
    res.errors?.map((e) => e.extensions?.code),
    label,
  ).toEqual(["UNAUTHENTICATED"]);
  expect(res.data ?? null).toBeNull();
}

function expectDenied(res: GraphQLResponse, code: string) {
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  expect(res.data ?? null).toBeNull();
}

describe("JWT", () => {
  let user: UserRow;
  let other: UserRow;
  beforeAll(async () => {
    [user, other] = await Promise.all([buildUser(server.database.db), buildUser(server.database.db)]);
  });

  it("accepts a valid HS256 token signed by the server", async () => {
    const res = await server.gql(ME, {}, await server.jwt.sign(user));
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data?.me).toEqual({ id: String(user.id), email: user.email });
  });

  it("refuses an expired token with UNAUTHENTICATED and HTTP 401", async () => {
    const token = await signHs({ sub: String(user.id), exp: now() - 60 });
    const res = await server.gql(ME, {}, token);
    expectRefused(res);
    expect(res.errors?.[0]?.message).toMatch(/expired/i);
  });

  it("refuses a token issued in the future beyond the clock tolerance (60 s), and accepts one within it", async () => {
    const ahead = await signHs({ sub: String(user.id), iat: now() + 86_400, exp: now() + 2 * 86_400 });
    const refused = await server.gql(ME, {}, ahead);
    expectRefused(refused);
    expect(refused.errors?.[0]?.message).toMatch(/future/i);
    const skewed = await signHs({ sub: String(user.id), iat: now() + 30 });
    expect((await server.gql(ME, {}, skewed)).data?.me).toEqual({ id: String(user.id), email: user.email });
  });

  it("refuses a token whose signature was tampered with", async () => {
    const [header, payload, signature] = (await server.jwt.sign(user)).split(".") as [string, string, string];
    const forged = `${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
    expectRefused(await server.gql(ME, {}, `${header}.${payload}.${forged}`));
  });

  it("refuses a token whose payload was tampered with", async () => {
    const [header, payload, signature] = (await server.jwt.sign(user)).split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    const forged = b64url({ ...claims, sub: String(other.id) });
    expectRefused(await server.gql(ME, {}, `${header}.${forged}.${signature}`));
  });

  it("refuses an unsigned alg:none token", async () => {
    const token = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: String(user.id), exp: now() + 300 })}.`;
    expectRefused(await server.gql(ME, {}, token));
  });

  it("refuses a token signed with another secret", async () => {
    const token = await signHs({ sub: String(user.id) }, "another-secret-that-is-also-long-enough-0123456789");
    expectRefused(await server.gql(ME, {}, token));
  });

  it("refuses a token without exp", async () => {
    expectRefused(await server.gql(ME, {}, await signHs({ sub: String(user.id), exp: null })));
  });

  it("refuses a token without sub", async () => {
    expectRefused(await server.gql(ME, {}, await signHs({})));
  });

  it("refuses a token for an unknown user id, including ids beyond the integer range", async () => {
    for (const sub of [MISSING_ID, "9999999999", "not-a-number"]) {
      expectRefused(await server.gql(ME, {}, await signHs({ sub })), `sub ${sub}`);
    }
  });

  it("refuses a token for a deactivated user", async () => {
    const inactive = await buildUser(server.database.db, { isActive: false });
    expectRefused(await server.gql(ME, {}, await server.jwt.sign(inactive)));
  });

  it("refuses a malformed Authorization header", async () => {
    for (const header of ["Token abc", "Bearer", "Bearer a b"]) expectRefused(await withHeader(header), header);
  });

  it("lets anonymous requests through but refuses protected fields without a token", async () => {
    const open = await server.gql("{ __typename }");
    expect(open.errors).toBeUndefined();
    expect(open.data).toEqual({ __typename: "Query" });
    const res = await server.gql(ME);
    expectDenied(res, "UNAUTHENTICATED");
  });
});

describe("API keys", () => {
  let owner: UserRow;
  let ownerJwt: string;
  let otherJwt: string;
  let adminJwt: string;
  beforeAll(async () => {
    const db = server.database.db;
    const [a, b, c] = await Promise.all([buildUser(db), buildUser(db), buildUser(db, { role: "admin" })]);
    owner = a;
    [ownerJwt, otherJwt, adminJwt] = await Promise.all([server.jwt.sign(a), server.jwt.sign(b), server.jwt.sign(c)]);
  });

  async function createKey(token = ownerJwt, name = unique("key")): Promise<{ id: string; name: string; token: string }> {
    const res = await server.gql(CREATE_KEY, { name }, token);
    expect(res.errors).toBeUndefined();
    return res.data!.createApiKey;
  }

  it("creates a kpik_ token that acts as the creating user", async () => {
    const key = await createKey();
    expect(key.token).toMatch(/^kpik_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);
    const res = await server.gql(ME, {}, key.token);
    expect(res.errors).toBeUndefined();
    expect(res.data?.me).toEqual({ id: String(owner.id), email: owner.email });
  });

  it("stores only the prefix and a sha256 hash of the token", async () => {
    const key = await createKey();
    const [row] = await server.database.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.id, Number(key.id)));
    expect(row).toBeDefined();
    expect(row!.userId).toBe(owner.id);
    expect(row!.prefix).toBe(key.token.slice("kpik_".length, "kpik_".length + 12));
    expect(row!.keyHash).toBe(createHash("sha256").update(key.token).digest("hex"));
    const secret = key.token.slice("kpik_".length + 13);
    for (const value of Object.values(row!)) {
      expect(String(value)).not.toContain(key.token);
      expect(String(value)).not.toContain(secret);
    }
  });

  it("lists the key with its prefix and sets lastUsedAt after use", async () => {
    const key = await createKey();
    const listed = () =>
      server.gql(LIST_KEYS, {}, ownerJwt).then((res) => res.data?.apiKeys.find((k: { id: string }) => k.id === key.id));
    const before = await listed();
    expect(before).toMatchObject({ name: key.name, prefix: key.token.slice(5, 17), lastUsedAt: null, revokedAt: null });

    expect((await server.gql(ME, {}, key.token)).errors).toBeUndefined();
    let after = await listed();
    for (let attempt = 0; !after?.lastUsedAt && attempt < 40; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await listed();
    }
    expect(after?.lastUsedAt).toEqual(expect.any(String));
    expect(Math.abs(Date.parse(after!.lastUsedAt) - Date.now())).toBeLessThan(60_000);
  });

  it("lets the owner revoke a key, which is refused afterwards", async () => {
    const key = await createKey();
    const res = await server.gql(REVOKE_KEY, { id: key.id }, ownerJwt);
    expect(res.errors).toBeUndefined();
    expect(res.data?.revokeApiKey).toEqual({ id: key.id, revokedAt: expect.any(String) });
    expectRefused(await server.gql(ME, {}, key.token));
  });

  it("forbids another user to revoke a key, existing or not, alike", async () => {
    const key = await createKey();
    expectDenied(await server.gql(REVOKE_KEY, { id: key.id }, otherJwt), "FORBIDDEN");
    expectDenied(await server.gql(REVOKE_KEY, { id: MISSING_ID }, otherJwt), "FORBIDDEN");
    // The key was not revoked.
    expect((await server.gql(ME, {}, key.token)).data?.me.id).toBe(String(owner.id));
  });

  it("lets an admin revoke anyone's key, and says NOT_FOUND for a missing one", async () => {
    const key = await createKey();
    const res = await server.gql(REVOKE_KEY, { id: key.id }, adminJwt);
    expect(res.errors).toBeUndefined();
    expect(res.data?.revokeApiKey.revokedAt).toEqual(expect.any(String));
    expectRefused(await server.gql(ME, {}, key.token));
    expectDenied(await server.gql(REVOKE_KEY, { id: MISSING_ID }, adminJwt), "NOT_FOUND");
  });

  it("refuses the key of a deactivated user", async () => {
    const user = await buildUser(server.database.db);
    const key = await createKey(await server.jwt.sign(user));
    await server.database.db.update(users).set({ isActive: false }).where(eq(users.id, user.id));
    expectRefused(await server.gql(ME, {}, key.token));
  });

  it("refuses a malformed or unknown key", async () => {
    expectRefused(await server.gql(ME, {}, "kpik_abc"));
    const key = await createKey();
    const wrongSecret = `${key.token.slice(0, 18)}${key.token[18] === "A" ? "B" : "A"}${key.token.slice(19)}`;
    expectRefused(await server.gql(ME, {}, wrongSecret));
  });

  it("rejects a blank name with BAD_USER_INPUT", async () => {
    expectDenied(await server.gql(CREATE_KEY, { name: "   " }, ownerJwt), "BAD_USER_INPUT");
  });
});

describe("JWKS (external identity provider)", () => {
  const kid = "test-key-1";
  let jwks: Server;
  let idpServer: TestServer;
  let privateKey: CryptoKey;
  let user: UserRow;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey;
    const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" }] });
    jwks = createServer((req, res) => {
      res.writeHead(req.url === "/jwks.json" ? 200 : 404, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const { port } = jwks.address() as AddressInfo;
    idpServer = await startTestServer({
      JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
      JWT_SUBJECT: "email",
      JWT_ISSUER: "https://idp.test",
      JWT_AUDIENCE: "kpi",
    });
    user = await buildUser(server.database.db, { email: `${unique("idp")}@test.example` });
  });
  afterAll(async () => {
    await idpServer?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  function signRs(claims: { sub?: string; aud?: string; key?: CryptoKey } = {}): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .setSubject(claims.sub ?? user.email)
      .setIssuer("https://idp.test")
      .setAudience(claims.aud ?? "kpi")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(claims.key ?? privateKey);
  }

  it("accepts an RS256 token from the identity provider, matched by e-mail", async () => {
    const res = await idpServer.gql(ME, {}, await signRs());
    expect(res.errors).toBeUndefined();
    expect(res.data?.me).toEqual({ id: String(user.id), email: user.email });
  });

  it("still accepts the server's own HS256 tokens", async () => {
    const res = await idpServer.gql(ME, {}, await idpServer.jwt.sign(user));
    expect(res.errors).toBeUndefined();
    expect(res.data?.me.id).toBe(String(user.id));
  });

  it("refuses a token for the wrong audience", async () => {
    expectRefused(await idpServer.gql(ME, {}, await signRs({ aud: "someone-else" })));
  });

  it("refuses a token signed by another key with the same kid", async () => {
    const impostor = await generateKeyPair("RS256");
    expectRefused(await idpServer.gql(ME, {}, await signRs({ key: impostor.privateKey })));
  });

  it("refuses a token whose subject is an unknown e-mail", async () => {
    expectRefused(await idpServer.gql(ME, {}, await signRs({ sub: `${unique("nobody")}@test.example` })));
  });
});
