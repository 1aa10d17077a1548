import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { embeddedUrl } from "./embedded-wire.js";
import type { EmbeddedThreadMessage } from "./embedded-worker.js";

export interface EmbeddedServer {
  url: string;
  /** False when another process of ours already serves this data directory and we only connect to it. */
  owned: boolean;
  stop(): Promise<void>;
}

interface LockFile {
  pid: number;
  port: number;
}

const LOCK_NAME = "embedded-postgres.json";

/**
 * Serves an embedded PostgreSQL (PGlite) over the wire protocol on 127.0.0.1, so that node-postgres,
 * Drizzle and the job backend use the same driver and SQL as against a real server.
 *
 * PGlite is single-process: only one process may open a data directory. The owner writes a lock
 * file with its port, and a second process of ours (the CLI while the server runs) connects to that
 * port instead of opening the files a second time.
 *
 * On disk, PGlite runs in a thread of its own (embedded-worker.ts): PostgreSQL executes on the
 * thread that calls PGlite, so in the server's thread every statement would stop the event loop,
 * and its start (opening the files, or copying the image into an empty DATA_DIR) could not overlap
 * the server's own. If that thread dies, so does the process, as it would with PGlite in it.
 *
 * `dataDir` of "memory://" gives a throw-away database (tests, benchmarks), in this thread.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedServer> {
  if (dataDir.startsWith("memory://")) {
    const { servePglite } = await import("./embedded-pglite.js");
    const server = await servePglite("memory://");
    return { url: embeddedUrl(server.port), owned: true, stop: () => server.stop() };
  }

  const dir = resolve(dataDir);
  const lockPath = join(dir, LOCK_NAME);
  checkDataDir(dir);
  const running = readLock(lockPath);
  if (running && isAlive(running.pid) && (await isListening(running.port))) {
    return { url: embeddedUrl(running.port), owned: false, stop: async () => undefined };
  }

  const server = await startThread(join(dir, "pgdata"));
  writeFileSync(lockPath, JSON.stringify({ pid: process.pid, port: server.port } satisfies LockFile));
  return {
    url: embeddedUrl(server.port),
    owned: true,
    async stop() {
      await server.stop();
      rmSync(lockPath, { force: true });
    },
  };
}

/** How long a stopping database thread may take before it is terminated. */
const STOP_TIMEOUT_MS = 10_000;

/** Starts the database thread on `pgdata`; resolves once it serves. */
async function startThread(pgdata: string): Promise<{ port: number; stop(): Promise<void> }> {
  const worker = createWorker(pgdata);
  let stopping = false;
  const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
  const next = () =>
    new Promise<EmbeddedThreadMessage>((resolve, reject) => {
      worker.once("message", resolve);
      void exited.then((code) => reject(new Error(`the embedded database's thread ended (exit code ${code})`)));
    });
  worker.on("error", (error) => {
    if (!stopping) crash(error);
  });

  const started = await next();
  if (!("port" in started)) {
    stopping = true;
    await worker.terminate();
    throw new Error("error" in started ? started.error : "the embedded database's thread did not start");
  }
  void exited.then((code) => {
    if (!stopping) crash(new Error(`the embedded database's thread ended unexpectedly (exit code ${code})`));
  });
  return {
    port: started.port,
    async stop() {
      if (stopping) return;
      stopping = true;
      const stopped = next().catch((error: Error) => ({ error: error.message }));
      worker.postMessage("stop");
      const timeout = new Promise<"timeout">((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, "timeout").unref());
      const outcome = await Promise.race([stopped, timeout]);
      // Stopped (the files closed) or stuck: either way the thread has nothing left to do.
      await worker.terminate();
      if (outcome !== "timeout" && "error" in outcome) throw new Error(`embedded database: ${outcome.error}`);
    },
  };
}

function createWorker(pgdata: string): Worker {
  const workerData = { pgdata };
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./embedded-worker.js", import.meta.url), { workerData });
  // From the TypeScript sources (npm start, tests), tsx compiles the thread's modules: a worker does
  // not inherit the hooks that load this one.
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const entry = JSON.stringify(new URL("./embedded-worker.ts", import.meta.url).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true, workerData });
}

/** The database is gone: the process cannot serve, and ends as it would had PGlite failed in its own thread. */
function crash(error: Error): void {
  process.nextTick(() => {
    throw error;
  });
}

/** DATA_DIR cannot hold the embedded database: the message names the folder and what to do. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataDirError";
  }
}

/**
 * Makes DATA_DIR if needed and writes a small file in it, so that a folder the server cannot use
 * fails at once with one line naming it, rather than with a stack from deep inside PGlite (or,
 * worse, a server that starts and fails at its first write).
 */
function checkDataDir(dir: string): void {
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    const why: Record<string, string> = {
      EACCES: "is not writable by this user: give it write access, or set DATA_DIR to a folder it can write",
      EPERM: "is not writable by this user: give it write access, or set DATA_DIR to a folder it can write",
      EROFS: "is on a read-only filesystem: set DATA_DIR to a writable folder",
      ENOSPC: "is on a full disk: free some space, or set DATA_DIR to a folder on another disk",
      EDQUOT: "is over its disk quota: free some space, or set DATA_DIR to another folder",
      ENOTDIR: "is not a folder (a part of its path is a file): set DATA_DIR to a folder",
      EEXIST: "is a file, not a folder: set DATA_DIR to a folder",
    };
    throw new DataDirError(
      `DATA_DIR ${dir} ${why[code] ?? "cannot be written"} (${code}). Or set DATABASE_URL to use a PostgreSQL server instead.`,
    );
  }
}

function readLock(path: string): LockFile | undefined {
  try {
    const lock = JSON.parse(readFileSync(path, "utf8")) as LockFile;
    return Number.isInteger(lock.pid) && Number.isInteger(lock.port) ? lock : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}
