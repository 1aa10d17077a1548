import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { until } from "./waiting.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * `npm start` (src/main.ts) as a child process, with only the given settings (no .env, no inherited
 * DATABASE_URL); as another user through runuser when `runuser` is given (we are root).
 */
export interface ServerProcess {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
  /** Resolves with its exit code (or signal) once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The URL of /graphql it printed once ready. */
  ready(timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnServer(
  env: Record<string, string>,
  options: { runuser?: { path: string; user: string } } = {},
): ServerProcess {
  const node = [process.execPath, "--import", "tsx", "src/main.ts"];
  const [command, ...args] = options.runuser ? [options.runuser.path, "-u", options.runuser.user, "--", ...node] : node;
  const child = spawn(command!, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = once(child, "exit").then(
    ([code, signal]) => ({ code, signal }) as { code: number | null; signal: NodeJS.Signals | null },
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => output,
    exited,
    ready: (timeoutMs = 60_000) =>
      until(
        "the server process to be ready",
        async () => {
          if (!running()) throw new Error(`the server exited before it was ready:\n${output}`);
          return /KPI server ready: (\S+)/.exec(output)?.[1];
        },
        timeoutMs,
      ),
    async kill(signal = "SIGKILL") {
      if (running()) child.kill(signal);
      await exited;
    },
  };
}

/** The port of the embedded database's wire-protocol server, from the lock file its owner writes in DATA_DIR. */
export function embeddedPort(dataDir: string): number {
  return (JSON.parse(readFileSync(join(dataDir, "embedded-postgres.json"), "utf8")) as { port: number }).port;
}
