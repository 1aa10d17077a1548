import type { Transporter } from "nodemailer";
import { sign } from "../../lib/signature.js";
import { outboundFetch } from "../../lib/outbound-fetch.js";
import type { OutboundPolicy } from "../../lib/outbound-policy.js";
import type { AlertNotice } from "./alert-delivery.store.js";

export interface NotifierSettings {
  /** nodemailer's SMTP URL (smtp://user:pass@host:587); without it no e-mail is sent. */
  smtpUrl?: string;
  emailFrom: string;
  timeoutMs: number;
  /** Where the e-mail's link points: the server's public URL. */
  publicUrl?: string;
  /** Where team webhooks, typed by admins, may lead (OUTBOUND_ALLOWED_NETWORKS). */
  outbound: OutboundPolicy;
}

/** Sends one notification; throws on failure so that the delivery's job retries it. */
export class Notifier {
  private mailer?: Promise<Transporter>;
  private readonly fetch: typeof fetch;

  constructor(private readonly settings: NotifierSettings) {
    this.fetch = outboundFetch(settings.outbound);
  }

  get emailEnabled(): boolean {
    return this.settings.smtpUrl !== undefined;
  }

  async send(notice: AlertNotice): Promise<void> {
    if (notice.channel === "webhook") return this.post(notice);
    return this.mail(notice);
  }

  /** A JSON POST; the body is signed with the team's secret when it has one (X-Hub-Signature-256). */
  private async post(notice: AlertNotice): Promise<void> {
    const body = JSON.stringify({ type: "alert.raised", alert: notice.alert });
    const response = await this.fetch(notice.target, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "kpi-server-alerts",
        // The same delivery id on every retry, so that a receiver can drop duplicates.
        "x-kpi-delivery": String(notice.deliveryId),
        ...(notice.webhookSecret && { "x-hub-signature-256": sign(body, notice.webhookSecret) }),
      },
      body,
      redirect: "error",
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    }).catch((error: unknown) => {
      // fetch says only "fetch failed"; the delivery's log and retries need the reason.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new Error(`webhook could not be reached: ${cause}`);
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
  }

  private async mail(notice: AlertNotice): Promise<void> {
    if (!this.settings.smtpUrl) throw new Error("SMTP_URL is not set");
    const { smtpUrl, emailFrom } = this.settings;
    // Loaded with the first e-mail, not at start: nodemailer is two thirds of a megabyte of modules.
    this.mailer ??= import("nodemailer").then(({ createTransport }) => createTransport(smtpUrl, { from: emailFrom }));
    const mailer = await this.mailer;
    const { alert } = notice;
    const lines = [
      `${alert.user.name}: ${alert.message}.`,
      "",
      `Rule: ${alert.rule.name}`,
      `Since: ${alert.periodStart}`,
      ...(this.settings.publicUrl ? ["", `Acknowledge it in the KPI dashboard (${this.settings.publicUrl}).`] : []),
    ];
    await mailer.sendMail({
      to: notice.target,
      subject: `KPI alert: ${alert.user.name}: ${alert.message}`,
      text: lines.join("\n"),
      headers: { "x-kpi-delivery": String(notice.deliveryId) },
    });
  }

  close(): void {
    void this.mailer?.then((mailer) => mailer.close());
  }
}
