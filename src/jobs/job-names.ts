import type { ScheduleName } from "../config/schedule.js";

/**
 * Every job's name on the queue. Agenda stores jobs by name, so a rename would orphan the jobs
 * already queued under the old one.
 */
export const JOB = {
  /** plan-run.job.ts */
  plan: "kpi:plan-run",
  /** calculate-batch.job.ts */
  batch: "kpi:calculate-batch",
  /** take-snapshots.job.ts */
  snapshot: "kpi:snapshot",
  /** evaluate-alerts.job.ts */
  evaluateAlerts: "kpi:evaluate-alerts",
  /** deliver-notification.job.ts */
  notify: "kpi:notify",
  /** schedules.ts */
  schedule: (name: ScheduleName) => `kpi:schedule:${name}`,
} as const;
