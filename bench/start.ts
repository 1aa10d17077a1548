/**
 * How long the server takes to start and how much memory it holds once it answers. Each start is a
 * child process; the time is from spawning it to the first answered GraphQL query (`{ __typename }`
 * POSTed to /graphql every 20 ms), and the memory is the server process's VmRSS and VmHWM (peak)
 * from /proc at that moment, and its VmRSS again BENCH_SETTLE_MS later (jobs start, the first
 * collections run). Then SIGTERM, and the time until it has exited.
 *
 *   1. `node dist/main.js` on the embedded database, cold: a fresh, empty DATA_DIR in the OS's
 *      temporary folder (PGlite's initdb, the migrations, the demo data), then warm: the same
 *      directory again. BENCH_RUNS times each (default 3).
 *   2. `npm start` (tsx, from the TypeScript sources) cold, once (BENCH_TSX=0 skips it).
 *   3. `node dist/main.js` on PostgreSQL: a throw-away database `kpi_bench_start` on
 *      BENCH_DATABASE_URL's server (else DATABASE_URL's, else 127.0.0.1:5432), empty (the server
 *      migrates it) then warm, BENCH_RUNS times; skipped when no server answers. Dropped after.
 *
 * It runs the compiled server: `npm run build` first when dist/main.js is missing or older than a
 * file under src/ or drizzle/. Every child runs in its own process group, which is killed when it
 * outlives BENCH_TIMEOUT_MS (default 90 s) or the benchmark ends.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { databaseUrl, dropDatabase, onServer, SERVER_URL } from "./bench-database.js";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 90_000);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 2_000);
const TSX = process.env.BENCH_TSX !== "0";
const PG_DATABASE = "kpi_bench_start";

interface Start {
  /** Spawn to the first answered query. */
  answerMs: number;
  /** Spawn to the "KPI server ready" line on stdout. */
  readyMs: number;
  rssMb: number;
  hwmMb: number;
  settledRssMb: number;
  stopMs: number;
  seeded: boolean;
}

const children = new Set<ChildProcess>();
const killAll = () => {
  for (const child of children) killGroup(child, "SIGKILL");
};
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function ensureBuilt(): void {
  const main = join(ROOT, "dist/main.js");
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((entry) => entry.isFile())
        .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs),
    );
  if (existsSync(main) && statSync(main).mtimeMs >= Math.max(newest(join(ROOT, "src")), newest(join(ROOT, "drizzle")))) return;
  console.log("dist/ is missing or older than src/: npm run build");
  const built = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error("npm run build failed");
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The process and its descendants, from /proc. */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/** VmRSS and VmHWM (MB) of the largest process of the tree: the server (npm and tsx's parent are small). */
function serverMemory(root: number): { rssMb: number; hwmMb: number } {
  let best = { rssMb: 0, hwmMb: 0 };
  for (const pid of processTree(root)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
      const memory = { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
      if (memory.rssMb > best.rssMb) best = memory;
    } catch {
      // gone meanwhile
    }
  }
  return best;
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await response.json()) as { data?: { __typename?: string } };
    return body.data?.__typename === "Query";
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function measureStart(command: string, args: readonly string[], env: Record<string, string | undefined>): Promise<Start> {
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "warn",
  };
  delete childEnv.DATABASE_URL;
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...childEnv, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  let readyMs = NaN;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (Number.isNaN(readyMs) && output.includes("KPI server ready")) readyMs = performance.now() - started;
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  let gone = false;
  void exited.then(() => (gone = true));
  try {
    for (;;) {
      if (gone) throw new Error(`${command} ${args.join(" ")} exited before answering:\n${output.slice(-2_000)}`);
      if (performance.now() - started > TIMEOUT_MS)
        throw new Error(`no answer within ${TIMEOUT_MS} ms:\n${output.slice(-2_000)}`);
      if (await answers(port)) break;
      await sleep(20);
    }
    const answerMs = performance.now() - started;
    const memory = serverMemory(child.pid!);
    await sleep(SETTLE_MS);
    const settledRssMb = serverMemory(child.pid!).rssMb;
    const stopping = performance.now();
    killGroup(child, "SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
    if (!gone) throw new Error(`did not stop within 15 s of SIGTERM:\n${output.slice(-2_000)}`);
    return {
      answerMs,
      readyMs,
      ...memory,
      settledRssMb,
      stopMs: performance.now() - stopping,
      seeded: output.includes("demo data seeded"),
    };
  } finally {
    killGroup(child, "SIGKILL");
    children.delete(child);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function report(label: string, starts: Start[]): void {
  const column = (pick: (start: Start) => number, digits: number) => {
    const values = starts.map(pick).filter((value) => !Number.isNaN(value));
    if (values.length === 0) return "-".padStart(15);
    return `${median(values).toFixed(digits)} / ${Math.min(...values).toFixed(digits)}`.padStart(15);
  };
  const seeded = starts.some((start) => start.seeded) ? " seeded" : "";
  console.log(
    `${label.padEnd(28)}${String(starts.length).padStart(3)}` +
      `${column((s) => s.answerMs / 1000, 2)}${column((s) => s.readyMs / 1000, 2)}` +
      `${column((s) => s.rssMb, 0)}${column((s) => s.hwmMb, 0)}${column((s) => s.settledRssMb, 0)}` +
      `${column((s) => s.stopMs / 1000, 2)}${seeded}`,
  );
}

const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

ensureBuilt();
const benchStarted = performance.now();
console.log(`host: ${cpus().length} CPUs, load average ${loadAverage()}; ${RUNS} runs each, settle ${SETTLE_MS} ms`);
const node = ["node", ["dist/main.js"]] as const;
const results: Array<[string, Start[]]> = [];

const cold: Start[] = [];
const warm: Start[] = [];
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), "kpi-bench-start-"));
  try {
    cold.push(await measureStart(...node, { DATA_DIR: join(dir, "data") }));
    warm.push(await measureStart(...node, { DATA_DIR: join(dir, "data") }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
results.push(["embedded, cold (node dist)", cold], ["embedded, warm (node dist)", warm]);

if (TSX) {
  const dir = mkdtempSync(join(tmpdir(), "kpi-bench-start-"));
  try {
    results.push(["embedded, cold (npm start)", [await measureStart("npm", ["start"], { DATA_DIR: join(dir, "data") })]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const postgres = await onServer(SERVER_URL, async () => true).catch((error: Error) => {
  console.log(`PostgreSQL at ${new URL(SERVER_URL).host} skipped: ${error.message}`);
  return false;
});
if (postgres) {
  const pgCold: Start[] = [];
  const pgWarm: Start[] = [];
  // DATA_DIR only for the development JWT secret the server keeps there.
  const dir = mkdtempSync(join(tmpdir(), "kpi-bench-start-"));
  const env = { DATABASE_URL: databaseUrl(PG_DATABASE), DATA_DIR: join(dir, "data") };
  try {
    for (let run = 0; run < RUNS; run++) {
      await onServer(SERVER_URL, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${PG_DATABASE} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${PG_DATABASE}`);
      });
      pgCold.push(await measureStart(...node, env));
      pgWarm.push(await measureStart(...node, env));
    }
  } finally {
    await dropDatabase(PG_DATABASE);
    rmSync(dir, { recursive: true, force: true });
  }
  results.push(["PostgreSQL, empty (node)", pgCold], ["PostgreSQL, warm (node)", pgWarm]);
}

console.log(
  `\n${"median / min".padEnd(28)}  n${"answer s".padStart(15)}${"ready s".padStart(15)}${"RSS MB".padStart(15)}` +
    `${"peak MB".padStart(15)}${"settled MB".padStart(15)}${"stop s".padStart(15)}`,
);
for (const [label, starts] of results) report(label, starts);
console.log(`\nload average ${loadAverage()}; ${((performance.now() - benchStarted) / 1000).toFixed(0)} s in all`);
