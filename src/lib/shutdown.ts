import type { Logger } from "./logger.js";

/**
 * How long a stopping process waits for its running calculation batches before handing them back to
 * other workers: well inside the 15 s after which stopOnSignals gives up on a stop.
 */
export const JOBS_DRAIN_MS = 10_000;

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits; a stop that hangs is cut off after 15 s so
 * an orchestrator's kill never waits on us.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    try {
      await stop();
    } finally {
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
