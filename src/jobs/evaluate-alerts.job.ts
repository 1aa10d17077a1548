import type { Agenda } from "agenda";
import type { Db } from "../db/client.js";
import type { Logger } from "../lib/logger.js";
import type { LivePubSub } from "../live/topics.js";
import { planDeliveries, teamsOfAlerts } from "../modules/alert/alert-delivery.store.js";
import { activeRules, evaluateRule } from "../modules/alert/alert-evaluator.js";
import type { Notifier } from "../modules/alert/alert-notifier.js";
import { JOB } from "./job-names.js";
import type { JobKind, JobQueue } from "./queue.js";

export interface EvaluateAlertsDependencies {
  db: Db;
  today: () => string;
  log: Logger;
  /** Whether deliveries by e-mail are planned (SMTP_URL is set). */
  notifier: Pick<Notifier, "emailEnabled">;
  /** Where raised alerts are announced to the subscribers of their users' teams (of any API process). */
  live?: Pick<LivePubSub, "publish">;
}

/**
 * Evaluates the alert rules: everyone's after each day's snapshots (so after every run), one user's
 * after a manual entry. Each raised alert's deliveries are planned and queued (deliver-notification).
 * One at a time (concurrency 1), not retried: the next snapshot evaluates again.
 */
export class EvaluateAlertsJob implements JobKind {
  constructor(
    private readonly queue: JobQueue,
    private readonly deps: EvaluateAlertsDependencies,
  ) {}

  define(agenda: Agenda): void {
    agenda.define<{ userIds?: number[] }>(
      JOB.evaluateAlerts,
      (job) => this.run(job.attrs.data?.userIds ?? null).then(() => undefined),
      { concurrency: 1 },
    );
  }

  /** Evaluates every active rule (for these users, or all), then plans and queues the notifications of what was raised. */
  async run(userIds: readonly number[] | null): Promise<{ raised: number[]; resolved: number[] }> {
    const { db, log, live } = this.deps;
    const pool = db.$client;
    const raised: number[] = [];
    const resolved: number[] = [];
    const today = this.deps.today();
    for (const rule of await activeRules(db)) {
      const outcome = await evaluateRule(pool, rule, today, userIds);
      raised.push(...outcome.raised);
      resolved.push(...outcome.resolved);
    }
    const deliveries = await planDeliveries(pool, raised, this.deps.notifier.emailEnabled);
    // Queued only on a queue this process has opened already, as before the split: an evaluation
    // called directly (a test) does not open one.
    for (const deliveryId of deliveries) await this.queue.opened?.now(JOB.notify, { deliveryId });
    if (raised.length > 0 || resolved.length > 0) {
      log.info({ raised: raised.length, resolved: resolved.length, deliveries: deliveries.length }, "alerts evaluated");
    }
    // Committed (each rule's statement is its own transaction), so subscribers can read what they are told of.
    if (raised.length > 0 && live) {
      for (const { alertId, teamId } of await teamsOfAlerts(pool, raised)) live.publish("alertRaised", teamId, { alertId });
    }
    return { raised, resolved };
  }
}
