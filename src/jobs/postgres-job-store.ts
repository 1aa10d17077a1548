import { PostgresBackend } from "@agendajs/postgres-backend";
import type pg from "pg";
import type { Logger } from "../lib/logger.js";
import type { JobStore, QueueDepth } from "./job-store.js";

/** Agenda's jobs in the table agenda_jobs of the server's own database (drizzle/0004_agenda_jobs.sql). */
export class PostgresJobStore implements JobStore {
  readonly backend: PostgresBackend;

  /** `notifications`: LISTEN/NOTIFY wakes workers at once; the embedded database multiplexes one session and cannot LISTEN. */
  constructor(
    private readonly pool: pg.Pool,
    options: { notifications: boolean; log: Logger },
  ) {
    this.backend = new PostgresBackend({ pool, disableNotifications: !options.notifications, ensureSchema: false });
    this.watchNotifications(options.log);
    // Agenda announces every job's start, success and completion to other processes (for
    // agenda.on("success:<job>") across processes), a NOTIFY each on a pool connection: three per
    // batch, which we never listen to. The interface makes publishState optional; without it Agenda
    // skips them. New-job notifications, which wake the workers, are unaffected.
    const channel = this.backend.notificationChannel as { publishState?: unknown } | undefined;
    if (channel) channel.publishState = undefined;
  }

  /**
   * The channel reconnects its LISTEN connection by itself when the database goes away, but emits
   * "error" first, and nobody in Agenda listens: unheard, that event crashed the process. It also
   * emits one at each failed attempt, every 100 ms while the database is down: one warning when the
   * connection is lost, and one line when it is back.
   */
  private watchNotifications(log: Logger): void {
    const channel = this.backend.notificationChannel;
    if (!channel) return;
    let lost = false;
    channel.on("error", (error) => {
      if (lost) return;
      lost = true;
      log.warn({ err: error }, "job notifications: connection lost; reconnecting (workers poll meanwhile)");
    });
    channel.on("stateChange", (state) => {
      if (state !== "connected" || !lost) return;
      lost = false;
      log.info("job notifications: connected again");
    });
  }

  async queueDepth(): Promise<QueueDepth> {
    const { rows } = await this.pool.query<QueueDepth>(
      `SELECT count(*) FILTER (WHERE locked_at IS NULL AND next_run_at <= now())::int AS queued,
         count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running
       FROM agenda_jobs WHERE NOT coalesce(disabled, false)`,
    );
    return rows[0]!;
  }

  async close(): Promise<void> {
    // The pool is the server's: its owner closes it.
  }
}
