import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { isRoot, RUNUSER, userIds } from "./run-as.js";
import { until } from "./waiting.js";

/**
 * A PostgreSQL server of the test's own (initdb into a temporary folder, its own port on 127.0.0.1),
 * for tests that stop and start the database under a running server: never the machine's shared one.
 *
 * initdb and postgres refuse to run as root; as root (this machine, CI) they run as the `postgres`
 * user through runuser, in a folder that user owns.
 */
export interface OwnPostgres {
  url: string;
  /** Fast shutdown (SIGINT): sessions are ended, and what was committed is on disk before the process exits. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder, and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and removes its folder. */
  destroy(): Promise<void>;
}

const bindir = (): string | undefined => {
  try {
    return execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
};

/** Why this machine cannot run a PostgreSQL of the test's own; undefined when it can. */
export function ownPostgresUnavailable(): string | undefined {
  const bin = bindir();
  if (!bin || !existsSync(join(bin, "initdb")) || !existsSync(join(bin, "postgres"))) {
    return "initdb/postgres not found (pg_config --bindir)";
  }
  if (isRoot()) {
    if (!RUNUSER) return "running as root and runuser is not installed (initdb refuses to run as root)";
    if (!userIds("postgres")) return "running as root and there is no postgres user to run initdb as";
  }
  return undefined;
}

/** argv that runs `command` as the postgres user when we are root, as ourselves otherwise. */
function asOwner(command: string, args: string[]): [string, string[]] {
  return isRoot() ? [RUNUSER!, ["-u", "postgres", "--", command, ...args]] : [command, args];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = bindir()!;
  const root = mkdtempSync(join(tmpdir(), "kpi-own-pg-"));
  const dataDir = join(root, "data");
  if (isRoot()) {
    const { uid, gid } = userIds("postgres")!;
    chownSync(root, uid, gid);
  }
  const [initdb, initArgs] = asOwner(join(bin, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  execFileSync(initdb, initArgs, { stdio: "ignore" });
  const port = await freePort();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;

  // fsync and synchronous_commit stay at their defaults (on): the durability assertions mean something.
  const start = async () => {
    const [postgres, args] = asOwner(join(bin, "postgres"), [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${root}`,
    ]);
    child = spawn(postgres, args, { stdio: "ignore" });
    await until(
      "the test's own PostgreSQL to accept connections",
      async () => {
        const client = new pg.Client({ connectionString: url });
        client.on("error", () => undefined);
        try {
          await client.connect();
          await client.query("SELECT 1");
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      30_000,
    );
  };

  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    // SIGINT to the postmaster itself is its fast shutdown (pg_ctl stop -m fast); runuser would pass
    // on a signal of its own as SIGTERM (smart shutdown, which waits for every client to leave).
    const exited = once(running, "exit");
    process.kill(Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]), "SIGINT");
    await exited;
  };

  await start();
  return {
    url,
    start,
    stop,
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
