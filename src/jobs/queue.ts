import { Agenda, exponential, type Job } from "agenda";
import { isDatabaseUnavailable } from "../lib/unavailable.js";
import type { Logger } from "../lib/logger.js";
import type { JobStore, QueueDepth } from "./job-store.js";

/** A kind of job: defines its handler on the queue, with its retries, backoff and concurrency. */
export interface JobKind {
  define(agenda: Agenda): void;
}

/** A recurring job, (re)registered at every start: see schedules.ts. */
export interface RecurringJob {
  name: string;
  cron: string;
  data: Record<string, unknown>;
}

/** A job holding a claim of ours (a batch): what stop() hands back when the drain times out. */
export interface Hold {
  /** Set at a shutdown that timed out: the claim was released and the job made due again. */
  readonly handedBack: boolean;
}

interface HeldJob extends Hold {
  handedBack: boolean;
  job: Job;
  release: () => Promise<void>;
}

/** How often the job queue logs that the database is still unavailable. */
const UNAVAILABLE_LOG_EVERY_MS = 30_000;

/**
 * The retries of a calculation job (plan, batch, snapshot): 2 s, doubling up to a minute, until
 * `maxAttempts` attempts in all.
 */
export const calculationBackoff = (maxAttempts: number) =>
  exponential({ delay: 2_000, maxDelay: 60_000, maxRetries: maxAttempts - 1 });

/**
 * Agenda, with its jobs in the server's own database or a MongoDB (JobStore). Every process can queue
 * jobs; only a worker (start) processes them. Knows nothing of what the jobs do: each kind defines
 * itself (JobKind), and a job that holds a claim says how to give it back (holding).
 */
/**
 * Agenda cancels a job whose lock went untouched for its lock lifetime (a stalled worker, or
 * heartbeats that could not reach the database) and reports it as an error. That is the recovery
 * working, not a fault: the batch's claim expires the same way and another attempt takes it over,
 * so it is worth a warning, not an error with a stack.
 */
export function isLockExpiry(error: Error): boolean {
  return /^execution of '[^']+' canceled, (execution took more than|no lockedAt)/.test(error.message);
}

export class JobQueue {
  private queue?: Agenda;
  /** Set once a process that is not a worker has opened the notification channel (enqueue). */
  private notifying?: Promise<void>;
  /** The jobs this process holds a claim for, to hand back at shutdown. */
  private readonly held = new Set<HeldJob>();
  private started = false;
  /** When the job queue last logged that the database is unavailable. */
  private unavailableLoggedAt = 0;

  constructor(
    private readonly store: JobStore,
    private readonly log: Logger,
    private readonly settings: { processEveryMs: number; lockLifetimeMs: number },
  ) {}

  /** The kinds of job this queue runs; each is defined when Agenda is made, so all are added before first use. */
  private readonly kinds: JobKind[] = [];

  add(...kinds: JobKind[]): void {
    if (this.queue) throw new Error("job kinds must be added before the queue is first used");
    this.kinds.push(...kinds);
  }

  /** Made on first use: a CLI command that never queues a job never connects Agenda. */
  get agenda(): Agenda {
    if (!this.queue) {
      this.queue = new Agenda({
        backend: this.store.backend,
        processEvery: this.settings.processEveryMs,
        defaultLockLifetime: this.settings.lockLifetimeMs,
        maxConcurrency: 4,
        defaultConcurrency: 2,
      });
      this.queue.on("error", (error) => {
        if (isLockExpiry(error))
          return this.log.warn({ job: error.message }, "job queue: a job outlived its lock and was cancelled");
        if (!isDatabaseUnavailable(error)) return this.log.error({ err: error }, "job queue error");
        // While the database is down every poll fails, for every job name: one line now and then.
        if (Date.now() - this.unavailableLoggedAt < UNAVAILABLE_LOG_EVERY_MS) return;
        this.unavailableLoggedAt = Date.now();
        this.log.warn({ err: error }, "job queue: database unavailable; polling on");
      });
      for (const kind of this.kinds) kind.define(this.queue);
    }
    return this.queue;
  }

  /** Agenda if something has used it already; undefined while nothing has (it is not made for this). */
  get opened(): Agenda | undefined {
    return this.queue;
  }

  /** Queues a job to run at once; workers are notified at once. */
  async enqueue(name: string, data: Record<string, unknown>): Promise<void> {
    await this.agenda.ready;
    if (!this.started) await this.openNotifications();
    await this.agenda.now(name, data);
  }

  /**
   * Agenda publishes a new job only on a connected notification channel, and connects it only in
   * start(): without this, a run queued by a process that does not work on jobs (an API replica
   * with JOBS_ENABLED=false) waited for the workers' next poll, up to JOBS_PROCESS_EVERY_MS (5 s by
   * default). The channel holds one connection of the pool (LISTEN) until stop().
   */
  private openNotifications(): Promise<void> {
    // The PostgreSQL store has a channel (unless on the embedded database); MongoDB's has none: workers poll.
    const channel = this.store.backend.notificationChannel;
    if (!channel) return Promise.resolve();
    // On failure the channel keeps reconnecting by itself; meanwhile workers find runs by polling.
    this.notifying ??= channel.connect().catch((error) => this.log.warn({ err: error }, "job notifications unavailable"));
    return this.notifying;
  }

  private async closeNotifications(): Promise<void> {
    if (!this.notifying) return;
    await this.notifying;
    this.notifying = undefined;
    await this.store.backend.notificationChannel?.disconnect();
  }

  /** Jobs due and not taken, and jobs running (locked), for the queue-depth gauge. */
  queueDepth(): Promise<QueueDepth> {
    return this.store.queueDepth();
  }

  /** Starts processing jobs and (re)registers the recurring ones in the organisation's time zone. */
  async start(recurring: readonly RecurringJob[], timeZone: string): Promise<void> {
    await this.agenda.ready;
    // Agenda connects the channel itself: connecting it twice would leak its first LISTEN connection.
    await this.closeNotifications();
    await this.agenda.start();
    this.started = true;
    for (const { name, cron, data } of recurring) {
      await this.agenda.every(cron, name, data, { timezone: timeZone, skipImmediate: true });
    }
  }

  /**
   * Runs `work` for `job`, which holds a claim of ours: if stop() times out meanwhile, `release`
   * gives the claim back and the job is made due again, so another worker takes it at once.
   */
  async holding<T>(job: Job, release: () => Promise<void>, work: (hold: Hold) => Promise<T>): Promise<T> {
    const held: HeldJob = { job, release, handedBack: false };
    this.held.add(held);
    try {
      return await work(held);
    } finally {
      this.held.delete(held);
    }
  }

  /**
   * Stops taking jobs and lets the running ones finish within `timeoutMs`; a job still holding a
   * claim then is handed back (its claim released, its job unlocked and due) for another worker.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.started) return this.closeNotifications();
    this.started = false;
    const result = await this.agenda.drain({ timeout: timeoutMs, closeConnection: false });
    // Agenda's stop() after drain() is a no-op (the processor is gone) and never unlocked a running
    // job anyway: the claim is released here, and its job made due again. Unlocking alone is not
    // enough: Agenda cleared the one-time job's nextRunAt when it started it, so an unlocked job
    // would never be due again and the batch would wait for nobody.
    if (result.timedOut) {
      for (const held of this.held) {
        held.handedBack = true;
        await held.release();
        await this.agenda.db.saveJobState({ ...held.job.attrs, lockedAt: undefined, nextRunAt: new Date() }, undefined);
      }
    }
  }

  /** Closes the job store's own connections (a MongoDB client); the PostgreSQL pool is the caller's. */
  close(): Promise<void> {
    return this.store.close();
  }
}
