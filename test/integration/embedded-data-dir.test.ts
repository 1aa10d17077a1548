import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRoot, RUNUSER, userIds } from "../helpers/run-as.js";
import { TEST_JWT_SECRET } from "../helpers/server.js";
import { spawnServer, type ServerProcess } from "../helpers/server-process.js";

/**
 * A DATA_DIR the embedded database cannot use stops the server at start with one line naming the
 * folder and what to do, and a non-zero exit: no stack trace, no server that fails at its first write.
 *
 * Independent of the run's database: it runs alike in the PostgreSQL run and the embedded run.
 */

const root = mkdtempSync(join(tmpdir(), "kpi-data-dir-"));
const processes: ServerProcess[] = [];

afterAll(async () => {
  for (const server of processes) await server.kill();
  rmSync(root, { recursive: true, force: true });
});

const env = (dataDir: string) => ({
  NODE_ENV: "test",
  HOST: "127.0.0.1",
  PORT: "0",
  DATA_DIR: dataDir,
  JWT_SECRET: TEST_JWT_SECRET,
  LOG_LEVEL: "warn",
});

async function startAndExit(dataDir: string, options: Parameters<typeof spawnServer>[1] = {}) {
  const server = spawnServer(env(dataDir), options);
  processes.push(server);
  const { code } = await server.exited;
  return { code, output: server.output() };
}

function expectCleanRefusal(result: { code: number | null; output: string }, dataDir: string, errno: string) {
  expect(result.code, result.output).toBe(2);
  expect(result.output).toContain(`DATA_DIR ${dataDir} `);
  expect(result.output).toContain(`(${errno})`);
  expect(result.output).not.toMatch(/^\s+at /m); // no stack trace
  expect(result.output).not.toContain("KPI server ready");
  expect(result.output.trim().split("\n")).toHaveLength(1);
}

// Root ignores file permissions: a read-only folder is only read-only to another user.
const readOnlyUser = isRoot() ? (RUNUSER && userIds("postgres") ? "postgres" : undefined) : "self";
const readOnlySkip = readOnlyUser ? undefined : "running as root without runuser or a postgres user to run the server as";
if (readOnlySkip) console.warn(`embedded-data-dir.test.ts, read-only folder skipped: ${readOnlySkip}`);

describe("a DATA_DIR the embedded database cannot use", { timeout: 60_000 }, () => {
  it("whose path runs through a file: one line naming it (ENOTDIR), exit status 2", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    const dataDir = join(file, "data");
    expectCleanRefusal(await startAndExit(dataDir), dataDir, "ENOTDIR");
  });

  it.skipIf(readOnlySkip)("that is read-only to the server's user: one line naming it (EACCES), exit status 2", async () => {
    const dataDir = join(root, "read-only");
    mkdirSync(dataDir);
    // Root-owned and 0755: readable by the postgres user, not writable (as ourselves: 0555).
    chmodSync(root, 0o755);
    chmodSync(dataDir, readOnlyUser === "self" ? 0o555 : 0o755);
    const options = readOnlyUser === "self" ? {} : { runuser: { path: RUNUSER!, user: readOnlyUser! } };
    expectCleanRefusal(await startAndExit(dataDir, options), dataDir, "EACCES");
  });
});
