import type { Agenda } from "agenda";
import type { Schedule } from "../config/schedule.js";
import type { Db } from "../db/client.js";
import { MeasurementWriter } from "../engine/batch/measurement-writer.js";
import type { Calculator } from "../engine/calculator/calculator.js";
import type { QueryRunner } from "../engine/query/query-runner.js";
import type { Logger } from "../lib/logger.js";
import type { LivePubSub } from "../live/topics.js";
import type { Notifier } from "../modules/alert/alert-notifier.js";
import type { RunQueue } from "../modules/run/run-queue.js";
import { CalculateBatchJob, type CalculationMetrics } from "./calculate-batch.job.js";
import { DeliverNotificationJob, type DeliverNotificationSettings } from "./deliver-notification.job.js";
import { EvaluateAlertsJob } from "./evaluate-alerts.job.js";
import type { JobStore, QueueDepth } from "./job-store.js";
import { JOB } from "./job-names.js";
import { PlanRunJob } from "./plan-run.job.js";
import { JobQueue } from "./queue.js";
import { recurringJobs, ScheduledJobs } from "./schedules.js";
import { TakeSnapshotsJob, type SnapshotMetrics } from "./take-snapshots.job.js";

export interface JobSettings {
  timeZone: string;
  scoreCap: number;
  schedule: Schedule;
  /** Assignments per batch (cut at user boundaries). */
  batchSize: number;
  /** Calculations in flight per batch. */
  concurrency: number;
  /** How long a batch may go without a heartbeat before another worker takes it over. */
  lockLifetimeMs: number;
  /** Attempts of a batch before it is recorded as failed. */
  maxAttempts: number;
  /** How often a worker looks for due jobs. */
  processEveryMs: number;
  /** Retries of alert notifications. */
  alerts: DeliverNotificationSettings;
}

export interface JobDependencies {
  db: Db;
  calculator: Calculator;
  queries: QueryRunner;
  notifier: Notifier;
  /** The organisation's calendar day (alert rules judge the periods ended by it). */
  today: () => string;
  log: Logger;
  /** Where Agenda keeps its jobs (PostgreSQL or MongoDB); everything else of a run is in `db`. */
  store: JobStore;
  metrics?: CalculationMetrics & SnapshotMetrics;
  /** Where stored measurements and raised alerts are announced to subscribers (of any API process). */
  live?: Pick<LivePubSub, "publish">;
}

/**
 * The server's jobs on one queue (queue.ts), one file per kind: plan-run, calculate-batch,
 * take-snapshots, evaluate-alerts, deliver-notification, and the recurring ones (schedules.ts).
 * Every process can queue jobs; only a worker (start) processes them.
 */
export class Jobs implements RunQueue {
  private readonly queue: JobQueue;
  readonly evaluateAlerts: EvaluateAlertsJob;

  constructor(
    deps: JobDependencies,
    private readonly settings: JobSettings,
  ) {
    const { db, log, metrics, live } = deps;
    const pool = db.$client;
    this.queue = new JobQueue(deps.store, log, settings);
    const snapshots = new TakeSnapshotsJob(this.queue, { pool, log, metrics }, settings);
    const plan = new PlanRunJob(this.queue, snapshots, pool, settings);
    const batch = new CalculateBatchJob(
      this.queue,
      snapshots,
      { pool, calculator: deps.calculator, queries: deps.queries, measurements: new MeasurementWriter(db), metrics, live },
      settings,
    );
    this.evaluateAlerts = new EvaluateAlertsJob(this.queue, { db, today: deps.today, log, notifier: deps.notifier, live });
    const deliver = new DeliverNotificationJob({ pool, notifier: deps.notifier, log }, settings.alerts);
    this.queue.add(plan, batch, snapshots, new ScheduledJobs(db, { plan, snapshots }, settings), this.evaluateAlerts, deliver);
  }

  /** Made on first use: a CLI command that never queues a job never connects Agenda. */
  get agenda(): Agenda {
    return this.queue.agenda;
  }

  /** Queues a job of any kind (job-names.ts), to run at once; workers are notified at once. */
  enqueue(name: string, data: Record<string, unknown>): Promise<void> {
    return this.queue.enqueue(name, data);
  }

  /** Queues the planning of a run that createRun stored. */
  enqueuePlan(runId: number): Promise<void> {
    return this.queue.enqueue(JOB.plan, { runId });
  }

  /** Jobs due and not taken, and jobs running (locked), for the queue-depth gauge. */
  queueDepth(): Promise<QueueDepth> {
    return this.queue.queueDepth();
  }

  /** Starts processing jobs and (re)registers the recurring ones (schedules.ts). */
  start(): Promise<void> {
    return this.queue.start(recurringJobs(this.settings.schedule), this.settings.timeZone);
  }

  /** Stops taking jobs; what still runs after `timeoutMs` is handed back to another worker. */
  stop(timeoutMs: number): Promise<void> {
    return this.queue.stop(timeoutMs);
  }

  /** Closes the job store's own connections (a MongoDB client); the PostgreSQL pool is the caller's. */
  close(): Promise<void> {
    return this.queue.close();
  }
}
