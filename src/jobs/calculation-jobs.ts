import { Agenda, exponential, type Job } from "agenda";
import type pg from "pg";
import type { Db } from "../db/client.js";
import { ensureMeasurementPartitions } from "../db/partitions.js";
import { isDatabaseUnavailable } from "../db/unavailable.js";
import { inTransaction } from "../db/transaction.js";
import type { RunIssue } from "../db/schema/index.js";
import type { CalculableDefinition, Calculator } from "../engine/calculator/calculator.js";
import type { QueryRunner } from "../engine/query/query-runner.js";
import type { Logger } from "../lib/logger.js";
import type { LivePubSub } from "../live/topics.js";
import { calculateAssignments, type CalculableAssignment } from "../engine/batch/batch-calculation.js";
import { upsertMeasurements } from "../engine/batch/measurement-writer.js";
import { todayIn } from "../scoring/periods.js";
import { planRun, runPeriods } from "../modules/run/run-planner.js";
import {
  batchAssignments,
  batchNumbersToRun,
  claimBatch,
  completeBatch,
  type ClaimedBatch,
  heartbeat,
  MAX_RUN_ISSUES,
  msUntilStale,
  refreshRun,
  releaseBatch,
} from "../modules/run/run.store.js";
import type { JobStore, QueueDepth } from "./job-store.js";
import { definitionStages } from "../engine/batch/stages.js";
import { periodForScheduledRun, snapshotDateFor, type Schedule } from "./schedule.js";
import { writeSnapshots } from "../modules/score/snapshot.store.js";
import { createRun } from "../modules/run/run.store.js";

export const JOB = {
  plan: "kpi:plan-run",
  batch: "kpi:calculate-batch",
  snapshot: "kpi:snapshot",
  schedule: (name: string) => `kpi:schedule:${name}`,
} as const;

/** A batch this process has claimed, with the job calculating it. */
interface HeldBatch {
  runId: number;
  batchNo: number;
  job: Job<{ runId: number; batchNo: number }>;
  /** Set at a shutdown that timed out: the claim was released and the job made due again. */
  handedBack: boolean;
}

/** How often the job queue logs that the database is still unavailable. */
const UNAVAILABLE_LOG_EVERY_MS = 30_000;

/** Added to a held batch's time to go stale before looking again, so that the look finds it stale. */
const STALE_MARGIN_MS = 500;

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
}

export interface JobDependencies {
  db: Db;
  calculator: Calculator;
  queries: QueryRunner;
  log: Logger;
  /** Where Agenda keeps its jobs (PostgreSQL or MongoDB); everything else of a run is in `db`. */
  store: JobStore;
  metrics?: {
    countCalculation(type: string, adapter: string, outcome: "succeeded" | "undefined" | "skipped" | "failed"): void;
    observeRun(trigger: string, status: string, seconds: number): void;
  };
  /** Other jobs on the same queue (alerts), and what follows the day's snapshots. */
  extensions?: JobExtension[];
  /** Where stored measurements are announced to subscribers (of any API process). */
  live?: Pick<LivePubSub, "publish">;
}

/** Jobs of another module that share the calculation queue and its workers. */
export interface JobExtension {
  define(agenda: Agenda): void;
  /** Called after snapshots are written (after every run and daily). */
  afterSnapshot?(date: string): Promise<void>;
}

/**
 * Calculation runs on Agenda, its jobs in the server's own database or a MongoDB (JobStore). A run is
 * planned into batches (chunks of users with all their KPIs of the run); each batch is one job, so
 * work spreads over workers and a crash loses at most a batch. Every process can queue runs; only
 * a worker (start) processes them.
 */
export class CalculationJobs {
  private queue?: Agenda;
  /** Set once a process that is not a worker has opened the notification channel (queueRun). */
  private notifying?: Promise<void>;
  private readonly pool: pg.Pool;
  /** The batches this process is calculating, with their jobs, to hand back at shutdown. */
  private readonly running = new Set<HeldBatch>();
  private started = false;
  /** When the job queue last logged that the database is unavailable. */
  private unavailableLoggedAt = 0;
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
      this.queue = new Agenda({
        backend: this.deps.store.backend,
        processEvery: this.settings.processEveryMs,
        defaultLockLifetime: this.settings.lockLifetimeMs,
        maxConcurrency: 4,
        defaultConcurrency: 2,
      });
      this.queue.on("error", (error) => {
        if (!isDatabaseUnavailable(error)) return this.deps.log.error({ err: error }, "job queue error");
        // While the database is down every poll fails, for every job name: one line now and then.
        if (Date.now() - this.unavailableLoggedAt < UNAVAILABLE_LOG_EVERY_MS) return;
        this.unavailableLoggedAt = Date.now();
        this.deps.log.warn({ err: error }, "job queue: database unavailable; polling on");
      });
      this.define(this.queue);
      for (const extension of this.deps.extensions ?? []) extension.define(this.queue);
    }
    return this.queue;
  }

  /** Queues a job of any module on this queue, to run at once; workers are notified at once. */
  async enqueue(name: string, data: Record<string, unknown>): Promise<void> {
    await this.agenda.ready;
    if (!this.started) await this.openNotifications();
    await this.agenda.now(name, data);
  }

  /** Queues the planning of a run that createRun stored. */
  queueRun(runId: number): Promise<void> {
    return this.enqueue(JOB.plan, { runId });
  }

  /**
   * Agenda publishes a new job only on a connected notification channel, and connects it only in
   * start(): without this, a run queued by a process that does not work on jobs (an API replica
   * with JOBS_ENABLED=false) waited for the workers' next poll, up to JOBS_PROCESS_EVERY_MS (5 s by
   * default). The channel holds one connection of the pool (LISTEN) until stop().
   */
  private openNotifications(): Promise<void> {
    // The PostgreSQL store has a channel (unless on the embedded database); MongoDB's has none: workers poll.
    const channel = this.deps.store.backend.notificationChannel;
    if (!channel) return Promise.resolve();
    // On failure the channel keeps reconnecting by itself; meanwhile workers find runs by polling.
    this.notifying ??= channel.connect().catch((error) => this.deps.log.warn({ err: error }, "job notifications unavailable"));
    return this.notifying;
  }

  private async closeNotifications(): Promise<void> {
    if (!this.notifying) return;
    await this.notifying;
    this.notifying = undefined;
    await this.deps.store.backend.notificationChannel?.disconnect();
  }

  /** Jobs due and not taken, and jobs running (locked), for the queue-depth gauge. */
  queueDepth(): Promise<QueueDepth> {
    return this.deps.store.queueDepth();
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
    // job anyway: the batch's claim is released here, and its job made due again. Unlocking alone
    // is not enough: Agenda cleared the one-time job's nextRunAt when it started it, so an unlocked
    // job would never be due again and the batch would wait for nobody.
    if (result.timedOut) {
      for (const held of this.running) {
        held.handedBack = true;
        await releaseBatch(this.pool, held.runId, held.batchNo);
        await this.agenda.db.saveJobState({ ...held.job.attrs, lockedAt: undefined, nextRunAt: new Date() }, undefined);
      }
    }
  }

  /** Closes the job store's own connections (a MongoDB client); the PostgreSQL pool is the caller's. */
  close(): Promise<void> {
    return this.deps.store.close();
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
    if (!batch) return this.lookAgainWhenStale(runId, batchNo);
    const held: HeldBatch = { runId, batchNo, job, handedBack: false };
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
        // Handed back at shutdown: another worker may hold it now, so this one stops rather than touch its claim or job.
        if (held.handedBack) throw new Error(`batch ${runId}/${batchNo} was handed back at shutdown`);
        await heartbeat(this.pool, runId, batchNo);
        await job.touch();
      };
      const outcome = await this.calculate(batch, touch);
      // Handed back meanwhile: the worker that holds it now records the outcome.
      if (!held.handedBack) await this.complete(runId, batchNo, outcome);
    } finally {
      this.running.delete(held);
    }
  }

  /**
   * The batch is finished, or held by a worker that still sent a heartbeat within the lock lifetime.
   * Finished: nothing to do twice. Held: the job must not just end, or a crashed holder's batch
   * would be lost. Agenda hands a job over once its lock (set by the holder's clock just before
   * the claim) has expired, which can be a little before the claim's heartbeat (the database's
   * clock) is stale; so a job of a held batch looks again once the holder's heartbeat would be
   * stale, and then takes the batch over or finds it finished.
   */
  private async lookAgainWhenStale(runId: number, batchNo: number): Promise<void> {
    const staleInMs = await msUntilStale(this.pool, runId, batchNo, this.settings.lockLifetimeMs);
    if (staleInMs === null) return;
    await this.agenda.schedule(new Date(Date.now() + staleInMs + STALE_MARGIN_MS), JOB.batch, { runId, batchNo });
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
        // The upsert has committed (it is a statement of its own), so subscribers can read what they are told of.
        // Published in one go, a stage's events leave in one statement of a few NOTIFYs.
        if (result.write) {
          const { userKpiId, period } = result.write;
          this.deps.live?.publish("measurementRecorded", a.userId, {
            userKpiId,
            periodStart: period.start,
            periodEnd: period.end,
          });
        }
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
    for (const extension of this.deps.extensions ?? []) await extension.afterSnapshot?.(date);
  }
}
