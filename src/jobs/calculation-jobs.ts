import { PostgresBackend } from "@agendajs/postgres-backend";
import { Agenda, exponential, type Job } from "agenda";
import type pg from "pg";
import type { Db } from "../db/client.js";
import { ensureMeasurementPartitions } from "../db/partitions.js";
import { inTransaction } from "../db/transaction.js";
import type { RunIssue } from "../db/schema/index.js";
import type { CalculableDefinition, Calculator } from "../engine/calculator.js";
import type { QueryRunner } from "../engine/query/query-runner.js";
import type { Logger } from "../lib/logger.js";
import { calculateAssignments, type CalculableAssignment } from "../modules/calculation/batch-calculation.js";
import { upsertMeasurements } from "../modules/calculation/measurement-writer.js";
import { todayIn } from "../scoring/periods.js";
import { planRun, runPeriods } from "./run-planner.js";
import {
  batchAssignments,
  batchNumbersToRun,
  claimBatch,
  completeBatch,
  type ClaimedBatch,
  heartbeat,
  MAX_RUN_ISSUES,
  refreshRun,
} from "./run-store.js";
import { definitionStages } from "./stages.js";
import { periodForScheduledRun, snapshotDateFor, type Schedule } from "./schedule.js";
import { writeSnapshots } from "./snapshots.js";
import { createRun } from "./runs.js";

export const JOB = {
  plan: "kpi:plan-run",
  batch: "kpi:calculate-batch",
  snapshot: "kpi:snapshot",
  schedule: (name: string) => `kpi:schedule:${name}`,
} as const;

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
  /** LISTEN/NOTIFY wakes workers at once; the embedded database multiplexes one session and cannot LISTEN. */
  notifications: boolean;
}

export interface JobDependencies {
  db: Db;
  calculator: Calculator;
  queries: QueryRunner;
  log: Logger;
  metrics?: {
    countCalculation(type: string, adapter: string, outcome: "succeeded" | "undefined" | "skipped" | "failed"): void;
    observeRun(trigger: string, status: string, seconds: number): void;
  };
}

/**
 * Calculation runs on Agenda with its PostgreSQL backend, on the server's own database. A run is
 * planned into batches (chunks of users with all their KPIs of the run); each batch is one job, so
 * work spreads over workers and a crash loses at most a batch. Every process can queue runs; only
 * a worker (start) processes them.
 */
export class CalculationJobs {
  private queue?: Agenda;
  private backend?: PostgresBackend;
  /** Set once a process that is not a worker has opened the notification channel (queueRun). */
  private notifying?: Promise<void>;
  private readonly pool: pg.Pool;
  /** The batches this process is calculating, with their jobs, to hand back at shutdown. */
  private readonly running = new Set<{ runId: number; batchNo: number; jobId: string }>();
  private started = false;
  /** Months ("YYYY-MM") whose measurement partition is known to exist. */
  private readonly partitions = new Set<string>();

  constructor(
    private readonly deps: JobDependencies,
    private readonly settings: JobSettings,
  ) {
    this.pool = deps.db.$client;
  }

  /** Made on first use: a CLI command that never queues a job never connects Agenda. */
  get agenda(): Agenda {
    if (!this.queue) {
      this.backend = new PostgresBackend({
        pool: this.pool,
        disableNotifications: !this.settings.notifications,
        ensureSchema: false, // drizzle/0004_agenda_jobs.sql
      });
      this.queue = new Agenda({
        backend: this.backend,
        processEvery: this.settings.processEveryMs,
        defaultLockLifetime: this.settings.lockLifetimeMs,
        maxConcurrency: 4,
        defaultConcurrency: 2,
      });
      this.queue.on("error", (error) => this.deps.log.error({ err: error }, "job queue error"));
      this.define(this.queue);
    }
    return this.queue;
  }

  /** Queues the planning of a run that createRun stored; workers are notified at once. */
  async queueRun(runId: number): Promise<void> {
    await this.agenda.ready;
    if (!this.started) await this.openNotifications();
    await this.agenda.now(JOB.plan, { runId });
  }

  /**
   * Agenda publishes a new job only on a connected notification channel, and connects it only in
   * start(): without this, a run queued by a process that does not work on jobs (an API replica
   * with JOBS_ENABLED=false) waited for the workers' next poll, up to JOBS_PROCESS_EVERY_MS (5 s by
   * default). The channel holds one connection of the pool (LISTEN) until stop().
   */
  private openNotifications(): Promise<void> {
    const channel = this.backend?.notificationChannel;
    if (!channel) return Promise.resolve();
    // On failure the channel keeps reconnecting by itself; meanwhile workers find runs by polling.
    this.notifying ??= channel.connect().catch((error) => this.deps.log.warn({ err: error }, "job notifications unavailable"));
    return this.notifying;
  }

  private async closeNotifications(): Promise<void> {
    if (!this.notifying) return;
    await this.notifying;
    this.notifying = undefined;
    await this.backend?.notificationChannel?.disconnect();
  }

  /** Jobs due and not taken, and jobs running (locked), for the queue-depth gauge. */
  async queueDepth(): Promise<{ queued: number; running: number }> {
    const { rows } = await this.pool.query<{ queued: number; running: number }>(
      `SELECT count(*) FILTER (WHERE locked_at IS NULL AND next_run_at <= now())::int AS queued,
         count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running
       FROM agenda_jobs WHERE NOT coalesce(disabled, false)`,
    );
    return rows[0]!;
  }

  /** Starts processing jobs and (re)registers the recurring schedules. */
  async start(): Promise<void> {
    await this.agenda.ready;
    // Agenda connects the channel itself: connecting it twice would leak its first LISTEN connection.
    await this.closeNotifications();
    await this.agenda.start();
    this.started = true;
    const { schedule, timeZone } = this.settings;
    for (const name of Object.keys(schedule) as (keyof Schedule)[]) {
      await this.agenda.every(schedule[name], JOB.schedule(name), { name }, { timezone: timeZone, skipImmediate: true });
    }
  }

  /**
   * Stops taking jobs and lets the running batches finish within `timeoutMs`; a batch still running
   * then is handed back (its heartbeat cleared, its job unlocked) so another worker takes it at once.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.started) return this.closeNotifications();
    this.started = false;
    const result = await this.agenda.drain({ timeout: timeoutMs, closeConnection: false });
    // Agenda's stop() after drain() is a no-op (the processor is gone) and never unlocked a running
    // job anyway: the batch's claim and its job's lock are released here.
    if (result.timedOut) {
      for (const { runId, batchNo, jobId } of this.running) {
        await this.pool.query(
          "UPDATE calculation_batches SET status = 'queued', heartbeat_at = NULL WHERE run_id = $1 AND batch_no = $2 AND status = 'running'",
          [runId, batchNo],
        );
        await this.pool.query("UPDATE agenda_jobs SET locked_at = NULL WHERE id = $1", [jobId]);
      }
    }
  }

  private define(agenda: Agenda): void {
    const { lockLifetimeMs, maxAttempts } = this.settings;
    const retries = exponential({ delay: 2_000, maxDelay: 60_000, maxRetries: maxAttempts - 1 });
    agenda.define<{ runId: number }>(JOB.plan, (job) => this.plan(job.attrs.data.runId), {
      lockLifetime: lockLifetimeMs,
      backoff: retries,
    });
    agenda.define<{ runId: number; batchNo: number }>(JOB.batch, (job) => this.batch(job), {
      lockLifetime: lockLifetimeMs,
      backoff: retries,
      concurrency: 2,
    });
    agenda.define<{ date?: string }>(JOB.snapshot, (job) => this.snapshot(job.attrs.data?.date), {
      lockLifetime: lockLifetimeMs,
      backoff: retries,
    });
    for (const name of Object.keys(this.settings.schedule) as (keyof Schedule)[]) {
      agenda.define(JOB.schedule(name), () => this.scheduled(name), { lockLifetime: lockLifetimeMs });
    }
  }

  /** A recurring job fired: a run of its period's definitions, or the day's snapshots. */
  private async scheduled(name: keyof Schedule): Promise<void> {
    const now = new Date();
    if (name === "snapshot") return this.snapshot(snapshotDateFor(now, this.settings.timeZone));
    const period = periodForScheduledRun(name, now, this.settings.timeZone);
    const run = await createRun(this.deps.db, {
      trigger: `schedule:${name}`,
      selection: { aggregationPeriod: name },
      periodContaining: period.start,
      today: todayIn(this.settings.timeZone, now),
      requestedBy: null,
    });
    await this.plan(run.id);
  }

  /** Splits a run into batches and queues them; a retried plan re-queues what is left. */
  private async plan(runId: number): Promise<void> {
    const batchNumbers = await planRun(this.pool, runId, this.settings.batchSize);
    for (const batchNo of batchNumbers ?? (await batchNumbersToRun(this.pool, runId))) {
      await this.agenda.now(JOB.batch, { runId, batchNo });
    }
    if (batchNumbers?.length === 0) await this.finished(await refreshRun(this.pool, runId));
  }

  private async batch(job: Job<{ runId: number; batchNo: number }>): Promise<void> {
    const { runId, batchNo } = job.attrs.data;
    const batch = await claimBatch(this.pool, runId, batchNo, this.settings.lockLifetimeMs);
    if (!batch) return; // finished, or held by a live worker: nothing to do twice
    const held = { runId, batchNo, jobId: String(job.attrs._id) };
    this.running.add(held);
    try {
      if (batch.attempts > this.settings.maxAttempts) {
        return await this.complete(runId, batchNo, {
          status: "failed",
          succeeded: 0,
          failed: batch.userKpiIds.length,
          skipped: 0,
          undefinedCount: 0,
          errors: [],
        });
      }
      const touch = async () => {
        await heartbeat(this.pool, runId, batchNo);
        await job.touch();
      };
      await this.complete(runId, batchNo, await this.calculate(batch, touch));
    } finally {
      this.running.delete(held);
    }
  }

  /**
   * Calculates a batch stage by stage: a formula over another KPI runs after that KPI's stage is
   * stored, so it reads this run's value. Measurements are upserted per stage.
   */
  private async calculate(batch: ClaimedBatch, touch: () => Promise<void>) {
    const rows = await batchAssignments(this.pool, batch.userKpiIds);
    // One object per definition, shared by its assignments, and one period per kind of period.
    const definitions = new Map<number, CalculableDefinition>();
    for (const row of rows) {
      if (definitions.has(row.definitionId)) continue;
      definitions.set(row.definitionId, {
        id: row.definitionId,
        calculationType: row.calculationType,
        dataSource: row.dataSource,
        updatedAt: new Date(row.definitionUpdatedAt),
      });
    }
    const stages = definitionStages([...definitions.values()]);
    const periodOf = runPeriods(batch.periodContaining, batch.today);
    const assignments: (CalculableAssignment & { adapter: string; stage: number })[] = rows.map((row) => ({
      userKpiId: row.userKpiId,
      userId: row.userId,
      targetValue: row.targetValue,
      targetType: row.targetType,
      definition: definitions.get(row.definitionId)!,
      period: periodOf(row.aggregationPeriod),
      externalIds: row.externalIds,
      adapter: row.calculationType === "api" ? String(row.dataSource?.type ?? "none") : "none",
      stage: stages.get(row.definitionId) ?? 0,
    }));
    const outcome = { status: "done" as const, succeeded: 0, failed: 0, skipped: 0, undefinedCount: 0, errors: [] as RunIssue[] };
    let lastTouch = Date.now();
    const maxStage = Math.max(0, ...stages.values());
    for (let stage = 0; stage <= maxStage; stage++) {
      const inStage = assignments.filter((a) => a.stage === stage);
      const results = await calculateAssignments(this.deps.calculator, this.deps.queries, inStage, {
        concurrency: this.settings.concurrency,
        // A heartbeat well within the lock lifetime, without a write per calculation.
        afterEach: async () => {
          if (Date.now() - lastTouch < this.settings.lockLifetimeMs / 4) return;
          lastTouch = Date.now();
          await touch();
        },
      });
      const writes = results.flatMap((result) => (result.write ? [result.write] : []));
      await this.ensurePartitions(writes.map((w) => w.period.start));
      await upsertMeasurements(this.pool, writes);
      for (const result of results) {
        const a = result.assignment as (typeof assignments)[number];
        this.deps.metrics?.countCalculation(a.definition.calculationType, a.adapter, result.outcome);
        if (result.outcome === "undefined") outcome.undefinedCount++;
        else outcome[result.outcome]++;
        if (result.outcome !== "succeeded" && outcome.errors.length < MAX_RUN_ISSUES) {
          outcome.errors.push({
            userId: a.userId,
            userKpiId: a.userKpiId,
            kpiDefinitionId: a.definition.id,
            outcome: result.outcome,
            message: result.message ?? result.outcome,
          });
        }
      }
    }
    return outcome;
  }

  /**
   * The measurement partitions of these period starts, looked up once per month and process:
   * the server never drops a partition, so one seen once stays.
   */
  private async ensurePartitions(periodStarts: readonly string[]): Promise<void> {
    for (const start of new Set(periodStarts)) {
      const month = start.slice(0, 7);
      if (this.partitions.has(month)) continue;
      await ensureMeasurementPartitions(this.deps.db, start, start);
      this.partitions.add(month);
    }
  }

  private async complete(runId: number, batchNo: number, outcome: Parameters<typeof completeBatch>[3]): Promise<void> {
    await this.finished(await inTransaction(this.pool, (client) => completeBatch(client, runId, batchNo, outcome)));
  }

  /** A run ended: measure it and refresh today's snapshots with its figures. */
  private async finished(run: Awaited<ReturnType<typeof refreshRun>>): Promise<void> {
    if (!run) return;
    this.deps.metrics?.observeRun(run.trigger, run.status, run.seconds);
    await this.agenda.now(JOB.snapshot, { date: todayIn(this.settings.timeZone) });
  }

  private async snapshot(date: string = todayIn(this.settings.timeZone)): Promise<void> {
    const written = await writeSnapshots(this.pool, date, this.settings.scoreCap);
    this.deps.log.info({ date, users: written }, "snapshots written");
  }
}
