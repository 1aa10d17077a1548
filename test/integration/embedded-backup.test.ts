import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../helpers/server-process.js";

/**
 * docs/operations.md's backup of the embedded database, as written there: the server stopped, the
 * whole DATA_DIR copied, the original removed, and the server started on the copy gives the same
 * answers to the token the original printed (its generated JWT secret travelled with the folder).
 * Two `npm start` processes of their own, on the demo data, in both runs of the suite.
 */

// Everything a dashboard, an admin and the job runner read, in one query (backup-restore.test.ts's).
const EVERYTHING = `{
  me { name role }
  teams {
    name manager { name }
    members {
      user { id name email snapshots(from: "2000-01-01", to: "2100-01-01") { snapshotDate overallScore } }
      overallScore
      kpis { targetValue weight kpiDefinition { name dataSource } history(limit: 1000) { periodStart actualValue notes } }
    }
  }
  kpiDefinitions { name calculationType dataSource aggregationPeriod targetType }
  alertRules { name kind threshold }
  users(limit: 1000) { id name email role isActive }
}`;

const temporary = mkdtempSync(join(tmpdir(), "kpi-embedded-backup-"));
const original = join(temporary, "data");
const copy = join(temporary, "kpi-data-copy");
const processes: ServerProcess[] = [];
afterAll(async () => {
  for (const server of processes) await server.kill();
  rmSync(temporary, { recursive: true, force: true });
});

// The demo data, a generated secret (no JWT_SECRET), and a cost limit the whole database fits in.
const env = (dataDir: string) => ({
  NODE_ENV: "development",
  HOST: "127.0.0.1",
  PORT: "0",
  DATA_DIR: dataDir,
  LOG_LEVEL: "info",
  JOBS_ENABLED: "false",
  MAX_QUERY_COST: "1000000000",
});

async function everything(graphqlUrl: string, token: string) {
  const response = await fetch(graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: EVERYTHING }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe("backing up the embedded database by copying DATA_DIR", () => {
  it("serves the same answers to the same token from the copy, after the original is gone", async () => {
    const first = spawnServer(env(original));
    processes.push(first);
    const firstUrl = await first.ready(120_000);
    const token = /Admin token[^\n]*\n\s*(\S+)/.exec(first.output())?.[1];
    expect(token, first.output()).toBeTruthy();
    const before = await everything(firstUrl, token!);
    expect(before.errors).toBeUndefined();
    expect((before.data!.teams as unknown[]).length).toBeGreaterThan(0);

    await first.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    cpSync(original, copy, { recursive: true });
    rmSync(original, { recursive: true, force: true });

    const second = spawnServer(env(copy));
    processes.push(second);
    const secondUrl = await second.ready(120_000);
    const after = await everything(secondUrl, token!);
    expect(after.errors).toBeUndefined();
    expect(after.data).toEqual(before.data);
  }, 300_000);
});
