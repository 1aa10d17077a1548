/**
 * What the embedded database's commit durability costs (src/db/embedded.ts): N sequential one-row
 * INSERT commits in a fresh data directory on disk, two ways, alternated over BENCH_ROUNDS rounds:
 *   1. "PGlite defaults": fsync off (-F) and, on Node's filesystem, no sync of any kind: a commit's
 *      WAL is in the OS's cache when it is acknowledged (it survives a killed process, not a crash
 *      of the OS or a power cut);
 *   2. "as the server runs": fsync=on and wal_sync_method=open_datasync, so the WAL file is opened
 *      O_SYNC on the host (strace shows it) and each commit's WAL is on the disk when acknowledged.
 * Prints commits per second and milliseconds per commit (the median of the rounds) and the change.
 * `npx tsx bench/embedded-durability.ts`; settings: BENCH_COMMITS (default 2,000), BENCH_ROUNDS (5),
 * BENCH_DIR (a folder on the disk to measure; default the OS's temporary folder).
 */
import { PGlite } from "@electric-sql/pglite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const COMMITS = Number(process.env.BENCH_COMMITS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BASE = process.env.BENCH_DIR ?? tmpdir();

const MODES = {
  "PGlite defaults": undefined,
  "as the server runs": [
    ...PGlite.defaultStartParams.filter((param) => param !== "-F"),
    "-c",
    "fsync=on",
    "-c",
    "wal_sync_method=open_datasync",
  ],
} as const;
type Mode = keyof typeof MODES;

async function commitsPerSecond(mode: Mode): Promise<number> {
  const dir = mkdtempSync(join(BASE, "kpi-bench-durability-"));
  const startParams = MODES[mode];
  const db = await PGlite.create(join(dir, "pgdata"), startParams ? { startParams: [...startParams] } : {});
  try {
    await db.exec("CREATE TABLE bench (id serial PRIMARY KEY, value int NOT NULL)");
    const started = performance.now();
    for (let i = 0; i < COMMITS; i++) await db.query("INSERT INTO bench (value) VALUES ($1)", [i]);
    return COMMITS / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const modes = Object.keys(MODES) as Mode[];
const results = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of modes) results.get(mode)!.push(await commitsPerSecond(mode));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const baseline = median(results.get("PGlite defaults")!);
console.log(`${COMMITS} sequential one-row commits in ${BASE}, median of ${ROUNDS} rounds:`);
for (const mode of modes) {
  const rate = median(results.get(mode)!);
  const change = ((rate / baseline - 1) * 100).toFixed(0);
  console.log(
    `  ${mode.padEnd(19)} ${rate.toFixed(0).padStart(6)} commits/s  ${(1000 / rate).toFixed(2)} ms/commit  ${change} %`,
  );
}
