import { exponential, type Agenda, type Job } from "agenda";
import type pg from "pg";
import { alertRules, type AlertRuleRow } from "../db/schema/index.js";
import type { Db } from "../db/client.js";
import { eq } from "drizzle-orm";
import type { JobExtension } from "../jobs/calculation-jobs.js";
import type { Logger } from "../lib/logger.js";
import type { LivePubSub } from "../live/topics.js";
import { findNotice, planDeliveries, recordAttempt, teamsOfAlerts } from "./deliveries.js";
import { evaluateRule } from "./evaluator.js";
import type { Notifier } from "./notifier.js";

export const ALERT_JOB = { evaluate: "kpi:evaluate-alerts", notify: "kpi:notify" } as const;

export interface AlertJobSettings {
  /** First retry of a failed notification after this long, doubling up to an hour. */
  retryDelayMs: number;
  /** Attempts of a notification before it is recorded as failed. */
  maxAttempts: number;
}

export interface AlertDependencies {
  db: Db;
  notifier: Notifier;
  today: () => string;
  log: Logger;
  /** Where raised alerts are announced to the subscribers of their users' teams (of any API process). */
  live?: Pick<LivePubSub, "publish">;
}

/**
 * Alerts on the calculation queue: rules are evaluated after each day's snapshots (so after every
 * run) and after manual entries (for that user); each raised alert is delivered to its managers
 * by e-mail and webhook, one job per delivery so that each is retried on its own.
 */
export class AlertJobs implements JobExtension {
  private agenda?: Agenda;
  private readonly pool: pg.Pool;

  constructor(
    private readonly deps: AlertDependencies,
    private readonly settings: AlertJobSettings,
  ) {
    this.pool = deps.db.$client;
  }

  define(agenda: Agenda): void {
    this.agenda = agenda;
    agenda.define<{ userIds?: number[] }>(
      ALERT_JOB.evaluate,
      (job) => this.evaluate(job.attrs.data?.userIds ?? null).then(() => undefined),
      {
        concurrency: 1,
      },
    );
    agenda.define<{ deliveryId: number }>(ALERT_JOB.notify, (job) => this.notify(job), {
      backoff: exponential({
        delay: this.settings.retryDelayMs,
        maxDelay: 3_600_000,
        maxRetries: this.settings.maxAttempts - 1,
        jitter: 0.1,
      }),
    });
  }

  /** Everyone's rules, as a job of their own: the snapshot job (which defined the queue) stays short. */
  async afterSnapshot(): Promise<void> {
    await this.agenda!.now(ALERT_JOB.evaluate, {});
  }

  /** Evaluates every active rule, then plans and queues the notifications of what was raised. */
  async evaluate(userIds: readonly number[] | null): Promise<{ raised: number[]; resolved: number[] }> {
    const rules: AlertRuleRow[] = await this.deps.db.select().from(alertRules).where(eq(alertRules.isActive, true));
    const raised: number[] = [];
    const resolved: number[] = [];
    const today = this.deps.today();
    for (const rule of rules) {
      const outcome = await evaluateRule(this.pool, rule, today, userIds);
      raised.push(...outcome.raised);
      resolved.push(...outcome.resolved);
    }
    const deliveries = await planDeliveries(this.pool, raised, this.deps.notifier.emailEnabled);
    for (const deliveryId of deliveries) await this.agenda?.now(ALERT_JOB.notify, { deliveryId });
    if (raised.length > 0 || resolved.length > 0) {
      this.deps.log.info({ raised: raised.length, resolved: resolved.length, deliveries: deliveries.length }, "alerts evaluated");
    }
    // Committed (each rule's statement is its own transaction), so subscribers can read what they are told of.
    if (raised.length > 0 && this.deps.live) {
      for (const { alertId, teamId } of await teamsOfAlerts(this.pool, raised))
        this.deps.live.publish("alertRaised", teamId, { alertId });
    }
    return { raised, resolved };
  }

  private async notify(job: Job<{ deliveryId: number }>): Promise<void> {
    const notice = await findNotice(this.pool, job.attrs.data.deliveryId);
    if (!notice || notice.status === "sent") return; // deleted with its alert, or sent by an earlier attempt
    try {
      await this.deps.notifier.send(notice);
      await recordAttempt(this.pool, notice.deliveryId, null, true);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const final = notice.attempts + 1 >= this.settings.maxAttempts;
      await recordAttempt(this.pool, notice.deliveryId, message, final);
      this.deps.log.warn(
        { deliveryId: notice.deliveryId, channel: notice.channel, attempt: notice.attempts + 1, final },
        "alert notification failed",
      );
      throw error; // Agenda retries it with backoff, up to maxAttempts
    }
  }
}
