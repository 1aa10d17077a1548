import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "../../src/db/schema/index.js";
import { demoSignInEnabled, seedDemo } from "../../src/seed/demo.js";
import { buildUser } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * How people sign in to the dashboard, over the public API: demo sign-in exists only on demo data
 * (or when DEMO_SIGN_IN says so), and the OpenID Connect settings a sign-in page needs are public.
 * The role matrix with demo sign-in off is in permissions.test.ts.
 */

let database: PrivateDatabase;
let demo: TestServer;

const SIGN_IN = `mutation($id: ID!) { demoSignIn(userId: $id) { token expiresAt } }`;

beforeAll(async () => {
  database = await createPrivateDatabase();
  demo = await startTestServer({ DATABASE_URL: database.url, DEMO_SIGN_IN: "true" });
  await seedDemo(demo.database.db, { scoreCap: 150 });
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  await database?.drop();
});

describe("when demo sign-in is on", () => {
  it("tells an anonymous sign-in page so, and lists the demo people: admins, then managers, then members", async () => {
    const res = await demo.gql(`{ signInOptions { demo oidc { issuer } } demoAccounts { name email role teamNames } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.signInOptions).toEqual({ demo: true, oidc: null });
    const accounts = res.data!.demoAccounts as Array<{ name: string; role: string; teamNames: string[] }>;
    expect(accounts[0]).toMatchObject({ name: "Ada Admin", role: "ADMIN" });
    const roles = accounts.map((account) => account.role);
    expect(roles).toEqual(
      [...roles].sort((a, b) => ["ADMIN", "MANAGER", "USER"].indexOf(a) - ["ADMIN", "MANAGER", "USER"].indexOf(b)),
    );
    expect(accounts.find((account) => account.name === "Maria Support-Lead")?.teamNames).toEqual(["Customer Support"]);
    expect(accounts.find((account) => account.name === "Sam Carter")).toMatchObject({
      role: "USER",
      teamNames: ["Customer Support"],
    });
  });

  it("signs in as the chosen person: the token is theirs, with their rights and no more", async () => {
    const [sam] = await demo.database.db.select().from(users).where(eq(users.email, "sam.carter@example.com"));
    const res = await demo.gql(SIGN_IN, { id: String(sam!.id) });
    expect(res.errors).toBeUndefined();
    const { token, expiresAt } = res.data!.demoSignIn;
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() + 60 * 60_000);
    const me = await demo.gql(`{ me { email role } }`, {}, token);
    expect(me.data!.me).toEqual({ email: "sam.carter@example.com", role: "USER" });
    const admin = await demo.gql(`{ auditLog { id } }`, {}, token);
    expect(admin.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("refuses unknown, malformed and deactivated people with a clear code", async () => {
    const unknown = await demo.gql(SIGN_IN, { id: "99999999" });
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const malformed = await demo.gql(SIGN_IN, { id: "abc" });
    expect(malformed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const gone = await buildUser(demo.database.db, { isActive: false });
    const inactive = await demo.gql(SIGN_IN, { id: String(gone.id) });
    expect(inactive.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(inactive.data).toBeNull();
  });
});

describe("whether demo sign-in is on", () => {
  it("is on only while the demo data is in use, unless DEMO_SIGN_IN says otherwise", async () => {
    const db = demo.database.db;
    // Seeded with the demo data above.
    expect(await demoSignInEnabled(db, { embedded: true })).toBe(true);
    expect(await demoSignInEnabled(db, { embedded: false, seedDemo: true })).toBe(true);
    // A real database (DATABASE_URL) without SEED_DEMO: never, whatever its data.
    expect(await demoSignInEnabled(db, { embedded: false })).toBe(false);
    expect(await demoSignInEnabled(db, { embedded: true, seedDemo: false })).toBe(false);
    expect(await demoSignInEnabled(db, { embedded: true, demoSignIn: false })).toBe(false);
    expect(await demoSignInEnabled(db, { embedded: false, demoSignIn: true })).toBe(true);
  });

  it("is off on an embedded database without the demo data", async () => {
    const empty = await createPrivateDatabase();
    const plain = await startTestServer({ DATABASE_URL: empty.url });
    try {
      expect(await demoSignInEnabled(plain.database.db, { embedded: true })).toBe(false);
      const res = await plain.gql(`{ signInOptions { demo } }`);
      expect(res.data!.signInOptions.demo).toBe(false);
    } finally {
      await plain.stop();
      await empty.drop();
    }
  });

  it("is off where the server cannot sign tokens (identity provider only), even with DEMO_SIGN_IN", async () => {
    const oidc = await startTestServer({
      DATABASE_URL: database.url,
      DEMO_SIGN_IN: "true",
      JWT_SECRET: "",
      JWT_JWKS_URL: "http://127.0.0.1:9/jwks",
      OIDC_ISSUER: "https://login.example.com/realms/kpi",
      OIDC_CLIENT_ID: "kpi-dashboard",
    });
    try {
      const res = await oidc.gql(`{ signInOptions { demo oidc { issuer clientId scope } } }`);
      expect(res.data!.signInOptions).toEqual({
        demo: false,
        oidc: { issuer: "https://login.example.com/realms/kpi", clientId: "kpi-dashboard", scope: "openid profile email" },
      });
      const refused = await oidc.gql(`{ demoAccounts { id } }`);
      expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    } finally {
      await oidc.stop();
    }
  });
});

describe("the dashboard's pages", () => {
  it("serves the web client at / and at every page path, under a Content-Security-Policy without inline scripts", async () => {
    for (const path of ["/", "/teams/3", "/admin/definitions"]) {
      const page = await fetch(`${demo.url}${path}`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<div id="root">');
      const csp = page.headers.get("content-security-policy")!;
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1];
      expect(scriptSrc).toBe("'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
    }
  });

  it("serves hashed assets for a year, and a missing asset is a 404, not the page", async () => {
    const html = await (await fetch(`${demo.url}/`, { headers: { accept: "text/html" } })).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${demo.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    const missing = await fetch(`${demo.url}/assets/no-such-file.js`, { headers: { accept: "text/html" } });
    expect(missing.status).toBe(404);
  });

  it("leaves the API's paths to the API", async () => {
    const graphql = await fetch(`${demo.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/html, application/json;q=0.9" },
      body: JSON.stringify({ query: "{ signInOptions { demo } }" }),
    });
    expect(await graphql.json()).toEqual({ data: { signInOptions: { demo: true } } });
    const health = await fetch(`${demo.url}/healthz`, { headers: { accept: "text/html" } });
    expect(await health.json()).toEqual({ status: "ok" });
  });
});
