import type { Agenda, Job } from "agenda";
import { exponential } from "agenda";
import type pg from "pg";
import type { Logger } from "../lib/logger.js";
import { findNotice, recordAttempt } from "../modules/alert/alert-delivery.store.js";
import type { Notifier } from "../modules/alert/alert-notifier.js";
import { JOB } from "./job-names.js";
import type { JobKind } from "./queue.js";

export interface DeliverNotificationSettings {
  /** First retry of a failed notification after this long, doubling up to an hour (jitter 10 %). */
  retryDelayMs: number;
  /** Attempts of a notification before it is recorded as failed. */
  maxAttempts: number;
}

/**
 * Delivers one raised alert to one target, by e-mail or webhook: one job per delivery, so that each
 * is retried on its own, with backoff from retryDelayMs up to an hour, maxAttempts in all.
 */
export class DeliverNotificationJob implements JobKind {
  constructor(
    private readonly deps: { pool: pg.Pool; notifier: Notifier; log: Logger },
    private readonly settings: DeliverNotificationSettings,
  ) {}

  define(agenda: Agenda): void {
    agenda.define<{ deliveryId: number }>(JOB.notify, (job) => this.run(job), {
      backoff: exponential({
        delay: this.settings.retryDelayMs,
        maxDelay: 3_600_000,
        maxRetries: this.settings.maxAttempts - 1,
        jitter: 0.1,
      }),
    });
  }

  private async run(job: Job<{ deliveryId: number }>): Promise<void> {
    const { pool, notifier, log } = this.deps;
    const notice = await findNotice(pool, job.attrs.data.deliveryId);
    if (!notice || notice.status === "sent") return; // deleted with its alert, or sent by an earlier attempt
    try {
      await notifier.send(notice);
      await recordAttempt(pool, notice.deliveryId, null, true);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const final = notice.attempts + 1 >= this.settings.maxAttempts;
      await recordAttempt(pool, notice.deliveryId, message, final);
      log.warn(
        { deliveryId: notice.deliveryId, channel: notice.channel, attempt: notice.attempts + 1, final },
        "alert notification failed",
      );
      throw error; // Agenda retries it with backoff, up to maxAttempts
    }
  }
}
