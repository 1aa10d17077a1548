import type { Agenda } from "agenda";
import type pg from "pg";
import type { Logger } from "../lib/logger.js";
import { writeSnapshots } from "../modules/score/snapshot.store.js";
import { todayIn } from "../scoring/periods.js";
import { JOB } from "./job-names.js";
import { calculationBackoff, type JobKind, type JobQueue } from "./queue.js";

/** A run that just ended, as the run store finalised it. */
export interface FinishedRun {
  status: string;
  trigger: string;
  seconds: number;
}

export interface SnapshotMetrics {
  observeRun(trigger: string, status: string, seconds: number): void;
}

/**
 * Takes the day's snapshots (every active user's overall score and KPI figures), after every run and
 * daily (schedules.ts), then queues the evaluation of everyone's alert rules. Retried like the other
 * calculation jobs; writing a day twice replaces its figures.
 */
export class TakeSnapshotsJob implements JobKind {
  constructor(
    private readonly queue: JobQueue,
    private readonly deps: { pool: pg.Pool; log: Logger; metrics?: SnapshotMetrics },
    private readonly settings: { timeZone: string; scoreCap: number; lockLifetimeMs: number; maxAttempts: number },
  ) {}

  define(agenda: Agenda): void {
    agenda.define<{ date?: string }>(JOB.snapshot, (job) => this.run(job.attrs.data?.date), {
      lockLifetime: this.settings.lockLifetimeMs,
      backoff: calculationBackoff(this.settings.maxAttempts),
    });
  }

  /** A run ended: measure it and refresh today's snapshots with its figures. */
  async afterRun(run: FinishedRun | null): Promise<void> {
    if (!run) return;
    this.deps.metrics?.observeRun(run.trigger, run.status, run.seconds);
    await this.queue.agenda.now(JOB.snapshot, { date: todayIn(this.settings.timeZone) });
  }

  async run(date: string = todayIn(this.settings.timeZone)): Promise<void> {
    const written = await writeSnapshots(this.deps.pool, date, this.settings.scoreCap);
    this.deps.log.info({ date, users: written }, "snapshots written");
    // Everyone's rules, as a job of their own: this one stays short.
    await this.queue.agenda.now(JOB.evaluateAlerts, {});
  }
}
