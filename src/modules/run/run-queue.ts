/**
 * What the run service needs of the job queue. Declared here, implemented by the jobs (src/jobs/jobs.ts)
 * and passed in by the composition root, so that modules/ never import jobs/.
 */
export interface RunQueue {
  /** Queues the planning of a run that createRun stored. */
  enqueuePlan(runId: number): Promise<void>;
  /** Jobs due and not taken, and jobs running (locked). */
  queueDepth(): Promise<{ queued: number; running: number }>;
}
