import type { Agenda } from "agenda";
import type { Db } from "../db/client.js";
import type { AggregationPeriodValue } from "../db/schema/index.js";
import type { Schedule, ScheduleName } from "../config/schedule.js";
import { createRun } from "../modules/run/run.store.js";
import { latestCompletedPeriod, todayIn, type Period } from "../scoring/periods.js";
import { JOB } from "./job-names.js";
import type { JobKind, RecurringJob } from "./queue.js";
import type { PlanRunJob } from "./plan-run.job.js";
import type { TakeSnapshotsJob } from "./take-snapshots.job.js";

/**
 * Every recurring job: what runs when. The times are cron expressions in the organisation's time zone
 * (SCHEDULE_* in the environment, defaults in config/schedule.ts: daily 02:00, weekly Monday 03:00,
 * monthly on the 1st 04:00, quarterly 05:00, snapshot 06:00):
 *
 * - daily, weekly, monthly, quarterly: a run of the definitions of that aggregation period, for the
 *   period just ended, planned at once (plan-run.job.ts);
 * - snapshot: the day's snapshots (take-snapshots.job.ts), which then evaluate the alert rules.
 *
 * Runs and snapshots are also taken after every run and manual entry; only these are timed. A fired
 * schedule is not retried: the next one catches up.
 */
export function recurringJobs(schedule: Schedule): RecurringJob[] {
  return (Object.keys(schedule) as ScheduleName[]).map((name) => ({
    name: JOB.schedule(name),
    cron: schedule[name],
    data: { name },
  }));
}

/** A job computes the period just ended on its fire's local date, so a run late by hours or a retry still computes the same period. */
export function periodForScheduledRun(period: AggregationPeriodValue, firedAt: Date, timeZone: string): Period {
  return latestCompletedPeriod(period, todayIn(timeZone, firedAt));
}

/** Snapshots are keyed by the organisation's calendar day, not the UTC one, so they match the dates users see. */
export function snapshotDateFor(firedAt: Date, timeZone: string): string {
  return todayIn(timeZone, firedAt);
}

/** The handlers of the recurring jobs above. */
export class ScheduledJobs implements JobKind {
  constructor(
    private readonly db: Db,
    private readonly jobs: { plan: PlanRunJob; snapshots: TakeSnapshotsJob },
    private readonly settings: { schedule: Schedule; timeZone: string; lockLifetimeMs: number },
  ) {}

  define(agenda: Agenda): void {
    for (const name of Object.keys(this.settings.schedule) as ScheduleName[]) {
      agenda.define(JOB.schedule(name), () => this.fired(name), { lockLifetime: this.settings.lockLifetimeMs });
    }
  }

  /** A recurring job fired: a run of its period's definitions, or the day's snapshots. */
  private async fired(name: ScheduleName): Promise<void> {
    const now = new Date();
    const { timeZone } = this.settings;
    if (name === "snapshot") return this.jobs.snapshots.run(snapshotDateFor(now, timeZone));
    const period = periodForScheduledRun(name, now, timeZone);
    const run = await createRun(this.db, {
      trigger: `schedule:${name}`,
      selection: { aggregationPeriod: name },
      periodContaining: period.start,
      today: todayIn(timeZone, now),
      requestedBy: null,
    });
    await this.jobs.plan.run(run.id);
  }
}
