import pg from "pg";
import type { Logger } from "../lib/logger.js";
import { LocalEventTarget } from "./local-event-target.js";

/** The one channel of live events; the event type travels in the payload. */
export const LIVE_CHANNEL = "kpi_live_events";

/** How the LISTEN connection shows in pg_stat_activity. */
export const LISTEN_APPLICATION_NAME = "kpi-server live events";

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
const MAX_PAYLOAD_BYTES = 7_999;

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * Splits encoded events into as few JSON arrays as fit in a NOTIFY payload each. An event that
 * cannot fit alone is returned apart: publishers send keys, never rows, so it is a bug to report.
 */
export function packPayloads(
  entries: readonly string[],
  maxBytes = MAX_PAYLOAD_BYTES,
): { payloads: string[]; oversized: string[] } {
  const payloads: string[] = [];
  const oversized: string[] = [];
  let current: string[] = [];
  let size = 2; // the brackets
  for (const entry of entries) {
    const bytes = Buffer.byteLength(entry) + 1; // and its comma
    if (bytes + 2 > maxBytes) {
      oversized.push(entry);
      continue;
    }
    if (size + bytes > maxBytes) {
      payloads.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0) payloads.push(`[${current.join(",")}]`);
  return { payloads, oversized };
}

/**
 * Live events between processes over PostgreSQL's LISTEN/NOTIFY, which every deployment already
 * has. Publishing (dispatchEvent) queues the event; what a process publishes in one turn of the
 * event loop (a run's batch stores hundreds of measurements at once) leaves in one statement of as
 * few NOTIFYs as fit, repeats dropped. Publishers publish after their own commit, so a subscriber
 * told of a row can read it.
 *
 * Receiving needs a connection of its own that stays in LISTEN (a pool would hand it to queries
 * and drop the registration): only a process that serves subscriptions starts it (`listen`), and
 * a lost connection is re-made with backoff. Delivery is at most once: what is published while it
 * is down is not replayed.
 */
export class PgNotifyEventTarget extends LocalEventTarget {
  /** Encoded events of this turn, waiting for the flush; a Set drops an event published twice. */
  private readonly pending = new Set<string>();
  private flushScheduled?: NodeJS.Immediate;
  private sending: Promise<void> = Promise.resolve();
  private client?: pg.Client;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelayMs = RECONNECT_FIRST_MS;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {
    super((error, type) => log.error({ err: error, type }, "live events: a subscription failed to take an event"));
  }

  /** Publishes: the event reaches this process's subscribers too, back through PostgreSQL. */
  override dispatchEvent(event: Event): boolean {
    if (this.closed) return false;
    this.pending.add(JSON.stringify([event.type, (event as CustomEvent).detail]));
    this.flushScheduled ??= setImmediate(() => this.flush());
    return true;
  }

  /** Connects the LISTEN connection; resolves once this process receives events. */
  async listen(): Promise<void> {
    if (this.client || this.closed) return;
    this.client = await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    if (this.flushScheduled) {
      clearImmediate(this.flushScheduled);
      this.flush();
    }
    await this.sending;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private flush(): void {
    this.flushScheduled = undefined;
    const { payloads, oversized } = packPayloads([...this.pending]);
    this.pending.clear();
    for (const entry of oversized) {
      this.log.error({ event: entry.slice(0, 200) }, "live events: an event is too large for NOTIFY and was dropped");
    }
    if (payloads.length === 0) return;
    // One after another, so that events arrive in the order they were published.
    this.sending = this.sending.then(() =>
      this.pool.query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload", [LIVE_CHANNEL, payloads]).then(
        () => undefined,
        (error: unknown) =>
          this.log.warn({ err: error, notifications: payloads.length }, "live events: could not publish; subscribers miss them"),
      ),
    );
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.pool.options.connectionString,
      application_name: LISTEN_APPLICATION_NAME,
      keepAlive: true,
    });
    client.on("notification", (message) => this.deliver(message.payload));
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error("live events: closed while connecting");
    }
    this.reconnectDelayMs = RECONNECT_FIRST_MS;
    return client;
  }

  /** The LISTEN connection failed or ended: re-make it unless we are closing. */
  private lost(client: pg.Client, error?: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.log.warn(
      { err: error },
      "live events: lost the LISTEN connection; reconnecting (events published meanwhile are missed)",
    );
    this.reconnectLater();
  }

  private reconnectLater(): void {
    this.reconnectTimer = setTimeout(() => void this.reconnect(), this.reconnectDelayMs);
  }

  /** Never rejects: a failed attempt schedules the next one. */
  private async reconnect(): Promise<void> {
    this.reconnectTimer = undefined;
    try {
      this.client = await this.connect();
      this.log.info("live events: listening again");
    } catch (error) {
      if (this.closed) return;
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
      this.log.warn({ err: error, retryInMs: this.reconnectDelayMs }, "live events: could not reconnect the LISTEN connection");
      this.reconnectLater();
    }
  }

  private deliver(payload: string | undefined): void {
    let entries: unknown;
    try {
      entries = JSON.parse(payload ?? "");
    } catch {
      entries = undefined;
    }
    if (!Array.isArray(entries)) {
      this.log.warn(
        { payload: payload?.slice(0, 200) },
        `live events: ignored a notification on ${LIVE_CHANNEL} that is not ours`,
      );
      return;
    }
    for (const entry of entries) {
      if (Array.isArray(entry) && typeof entry[0] === "string")
        super.dispatchEvent(new CustomEvent(entry[0], { detail: entry[1] }));
    }
  }
}
