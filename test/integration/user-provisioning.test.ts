import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { users } from "../../src/db/schema/index.js";
import { buildUser, unique } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * AUTH_PROVISION_USERS: the first request of someone the identity provider vouches for creates
 * their account (a USER, audited as done by the provider); deactivated accounts stay deactivated;
 * the server's own tokens and unverified e-mails create nobody. Against a local JWKS on 127.0.0.1.
 */

const ISSUER = "https://idp.test";
const kid = "provisioning-key";
const ME = "{ me { id name email role teams { id } } }";

let jwks: Server;
let jwksUrl: string;
let privateKey: CryptoKey;
let server: TestServer;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  privateKey = pair.privateKey;
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" }] });
  jwks = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(body));
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  server = await startTestServer({
    JWT_JWKS_URL: jwksUrl,
    JWT_SUBJECT: "email",
    JWT_ISSUER: ISSUER,
    AUTH_PROVISION_USERS: "true",
    AUTH_NAME_CLAIM: "display_name",
  });
});
afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => jwks?.close(resolve));
});

function providerToken(email: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .setSubject(email)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(privateKey);
}

async function accounts(email: string) {
  return server.database.db.select().from(users).where(eq(users.email, email.toLowerCase()));
}

describe("AUTH_PROVISION_USERS=true", () => {
  it("creates a USER with no team from the provider's claims on the first request, once", async () => {
    const email = `${unique("new")}@Example.com`;
    const token = await providerToken(email, { display_name: "Nora Newcomer", name: "ignored", email_verified: true });
    const [first, second] = await Promise.all([server.gql(ME, {}, token), server.gql(ME, {}, token)]);
    expect(first.errors).toBeUndefined();
    expect(first.data!.me).toMatchObject({ name: "Nora Newcomer", email: email.toLowerCase(), role: "USER", teams: [] });
    expect(second.data!.me.id).toBe(first.data!.me.id);
    expect(await accounts(email)).toHaveLength(1);

    const audit = await server.database.pool.query(
      "SELECT actor_id, action, after FROM audit_log WHERE entity_type = 'user' AND entity_id = $1",
      [first.data!.me.id],
    );
    expect(audit.rows).toEqual([
      {
        actor_id: null,
        action: "user.provision",
        after: { name: "Nora Newcomer", email: email.toLowerCase(), role: "user", isActive: true, provisionedBy: ISSUER },
      },
    ]);
  });

  it("falls back to given and family names, then to the e-mail's local part", async () => {
    const named = `${unique("gf")}@example.com`;
    const res = await server.gql(ME, {}, await providerToken(named, { given_name: "Gil", family_name: "Ford" }));
    expect(res.data!.me.name).toBe("Gil Ford");
    const bare = `${unique("bare")}@example.com`;
    expect((await server.gql(ME, {}, await providerToken(bare))).data!.me.name).toBe(bare.split("@")[0]);
  });

  it("never re-creates nor re-activates a deactivated account", async () => {
    const gone = await buildUser(server.database.db, { email: `${unique("gone")}@example.com`, isActive: false });
    const res = await server.gql(ME, {}, await providerToken(gone.email, { display_name: "Back Again" }));
    expect(res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await accounts(gone.email)).toEqual([expect.objectContaining({ id: gone.id, isActive: false, name: gone.name })]);
  });

  it("creates nobody for an e-mail the provider marks unverified, or a subject that is not an e-mail", async () => {
    const unverified = `${unique("unverified")}@example.com`;
    const res = await server.gql(ME, {}, await providerToken(unverified, { email_verified: false }));
    expect(res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await accounts(unverified)).toHaveLength(0);
    for (const subject of ["not-an-email", "two@at@example.com", "nul\u0000@example.com"]) {
      const refused = await server.gql(ME, {}, await providerToken(subject));
      expect(refused.errors?.[0]?.extensions?.code, subject).toBe("UNAUTHENTICATED");
    }
  });

  it("creates nobody from this server's own tokens (they are signed for existing accounts)", async () => {
    const email = `${unique("own")}@example.com`;
    const res = await server.gql(ME, {}, await server.jwt.sign({ id: 999_999, email }));
    expect(res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await accounts(email)).toHaveLength(0);
  });
});

describe("without AUTH_PROVISION_USERS (the default)", () => {
  it("refuses a provider's token for an unknown e-mail and creates nobody", async () => {
    const plain = await startTestServer({ JWT_JWKS_URL: jwksUrl, JWT_SUBJECT: "email", JWT_ISSUER: ISSUER });
    try {
      const email = `${unique("stranger")}@example.com`;
      const res = await plain.gql(ME, {}, await providerToken(email, { display_name: "Stranger" }));
      expect(res.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(await accounts(email)).toHaveLength(0);
    } finally {
      await plain.stop();
    }
  });

  it("is refused at startup without a provider's key set and e-mail subjects", () => {
    expect(() => loadConfig({ AUTH_PROVISION_USERS: "true", JWT_SUBJECT: "email" })).toThrow(
      /AUTH_PROVISION_USERS: needs JWT_JWKS_URL/,
    );
    expect(() => loadConfig({ AUTH_PROVISION_USERS: "true", JWT_JWKS_URL: jwksUrl })).toThrow(/AUTH_PROVISION_USERS/);
  });
});
