import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { serveWireProtocol } from "./embedded-wire.js";

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
 * PGlite's start parameters with fsync back on and the WAL written with O_DSYNC (which reaches Node's
 * filesystem as O_SYNC): a commit is acknowledged once its WAL is on the disk, not only in the OS's
 * cache. PGlite turns fsync off (-F), and its fsync and fdatasync are no-ops on Node's filesystem,
 * so wal_sync_method=open_datasync is the one setting that syncs (bench/embedded-durability.ts
 * measures what it costs). relaxedDurability concerns only the browser's filesystems.
 */
const DURABLE = [
  ...PGlite.defaultStartParams.filter((param) => param !== "-F"),
  "-c",
  "fsync=on",
  "-c",
  "wal_sync_method=open_datasync",
];

/**
 * Serves an embedded PostgreSQL (PGlite) over the wire protocol on 127.0.0.1, so that node-postgres,
 * Drizzle and the job backend use the same driver and SQL as against a real server.
 *
 * PGlite is single-process: only one process may open a data directory. The owner writes a lock
 * file with its port, and a second process of ours (the CLI while the server runs) connects to that
 * port instead of opening the files a second time.
 *
 * `dataDir` of "memory://" gives a throw-away database (tests).
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedServer> {
  const inMemory = dataDir.startsWith("memory://");
  const dir = inMemory ? undefined : resolve(dataDir);
  const lockPath = dir ? join(dir, LOCK_NAME) : undefined;

  if (lockPath) {
    checkDataDir(dir!);
    const running = readLock(lockPath);
    if (running && isAlive(running.pid) && (await isListening(running.port))) {
      return { url: urlFor(running.port), owned: false, stop: async () => undefined };
    }
  }

  const db = inMemory ? await PGlite.create("memory://") : await PGlite.create(join(dir!, "pgdata"), { startParams: DURABLE });
  const server = await serveWireProtocol(db);
  const port = server.port;
  if (lockPath) writeFileSync(lockPath, JSON.stringify({ pid: process.pid, port } satisfies LockFile));

  return {
    url: urlFor(port),
    owned: true,
    async stop() {
      await server.stop();
      await db.close();
      if (lockPath) rmSync(lockPath, { force: true });
    },
  };
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

function urlFor(port: number): string {
  return `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
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
