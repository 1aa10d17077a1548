import { eq } from "drizzle-orm";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { users } from "../../src/db/schema/index.js";
import { buildUser, unique } from "../helpers/factories.js";
import { startTestServer, TEST_JWT_SECRET, type TestServer } from "../helpers/server.js";

const ME = "{ me { id email } }";
const root = fileURLToPath(new URL("../..", import.meta.url));

/** Runs `tsx src/cli.ts …` as `npm run cli -- …` does, with the given settings on top of ours. */
function runCli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "silent", ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return new Promise((resolve) => {
    execFile(
      "node_modules/.bin/tsx",
      ["src/cli.ts", ...args],
      { cwd: root, env: merged, timeout: 55_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe("CLI against the test database", { timeout: 60_000 }, () => {
  const cli = (...args: string[]) => runCli(args, { DATABASE_URL: inject("databaseUrl"), JWT_SECRET: TEST_JWT_SECRET });

  it("token prints one JWT line that works against the server", async () => {
    const user = await buildUser(server.database.db);
    const result = await cli("token", "--email", user.email);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const res = await server.gql(ME, {}, result.stdout.trim());
    expect(res.errors).toBeUndefined();
    expect(res.data?.me.id).toBe(String(user.id));
  });

  it("token for an unknown e-mail exits 1 with a message on stderr", async () => {
    const result = await cli("token", "--email", "nobody@nowhere.test");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("nobody@nowhere.test");
  });

  it("user:create creates a user and prints it as JSON", async () => {
    const email = `${unique("cli")}@test.example`;
    const result = await cli("user:create", "--email", email, "--name", "CLI User", "--role", "manager");
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { id: number; email: string; role: string };
    expect(printed).toEqual({ id: expect.any(Number), email, name: "CLI User", role: "manager" });
    const [row] = await server.database.db.select().from(users).where(eq(users.email, email));
    expect(row).toMatchObject({ id: printed.id, role: "manager", isActive: true });
  });

  it("user:create with an unknown role exits 1", async () => {
    const email = `${unique("cli")}@test.example`;
    const result = await cli("user:create", "--email", email, "--name", "Boss", "--role", "boss");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--role");
    expect(await server.database.db.select().from(users).where(eq(users.email, email))).toEqual([]);
  });

  it("an unknown command exits 2", async () => {
    const result = await cli("frobnicate");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown command "frobnicate"');
  });
});

describe("CLI on an embedded database of its own", { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kpi-cli-"));
  // No DATABASE_URL and no JWT_SECRET: the CLI opens PGlite in DATA_DIR and generates a secret there.
  const cli = (...args: string[]) => runCli(args, { DATABASE_URL: undefined, JWT_SECRET: undefined, DATA_DIR: dataDir });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("migrates, seeds the demo data once, and issues a token for the demo admin", async () => {
    expect((await cli("migrate")).code).toBe(0);
    const seeded = await cli("seed:demo");
    expect(seeded.code).toBe(0);
    expect(seeded.stderr).toContain("admin@example.com");
    const again = await cli("seed:demo");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already has users");
    const token = await cli("token", "--email", "admin@example.com");
    expect(token.code).toBe(0);
    const payload = JSON.parse(Buffer.from(token.stdout.trim().split(".")[1]!, "base64url").toString()) as { sub: string };
    expect(payload.sub).toBe("1");
  });
});
