import ky, { HTTPError, TimeoutError, type KyInstance } from "ky";
import pThrottle from "p-throttle";
import type { Metrics } from "../../observability/metrics.js";
import { CalculationError, type CalculationSubject } from "../outcome.js";

/**
 * The one way adapters reach an API. Built on ky (fetch with retries): transient failures (5xx,
 * 408, network errors, timeouts) are retried with exponential backoff and full jitter, 429/503
 * wait for Retry-After (seconds or an HTTP date, capped), attempts are bounded and each attempt
 * has its own timeout. p-throttle spaces the attempts of one client (one adapter) to its API's
 * rate limit. Errors become CalculationErrors naming the service and the status, never the
 * request's headers (credentials). With `metrics`, every attempt is counted and timed.
 */
export interface HttpClientOptions {
  /** The service's name in messages, e.g. "Intercom". */
  name: string;
  /** The adapter's type, its `adapter` label in metrics, e.g. "intercom". */
  adapter: string;
  /** Where each attempt's status and latency are recorded. */
  metrics?: Metrics;
  /** Headers of every request (credentials). Never logged nor put in errors. */
  headers?: Record<string, string>;
  /** Timeout of one attempt. */
  timeoutMs: number;
  /** Attempts in all, the first included (default 3). */
  attempts?: number;
  /** Backoff of the first retry; doubles at each retry (default 300 ms). */
  backoffBaseMs?: number;
  /** Longest backoff or Retry-After wait (default 30 s). */
  maxDelayMs?: number;
  /** At most `limit` requests per `intervalMs` (every attempt counts). */
  rateLimit?: { limit: number; intervalMs: number };
  /** The fetch its requests go through (default: the global one); see src/lib/outbound-fetch.ts. */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  method?: "GET" | "POST";
  searchParams?: Record<string, string | number>;
  json?: unknown;
  headers?: Record<string, string>;
}

/** Tuning shared by the adapters (tests shorten the waits), and where their requests are measured. */
export interface AdapterHttpSettings {
  timeoutMs: number;
  attempts?: number;
  backoffBaseMs?: number;
  maxDelayMs?: number;
  /** Where the adapter's requests are counted and timed. */
  metrics?: Metrics;
}

/** The retry and timeout part of an adapter's settings, as HttpClient takes it. */
export function retryOptions(
  settings: AdapterHttpSettings,
): Pick<HttpClientOptions, "timeoutMs" | "attempts" | "backoffBaseMs" | "maxDelayMs"> {
  const { timeoutMs, attempts, backoffBaseMs, maxDelayMs } = settings;
  return { timeoutMs, attempts, backoffBaseMs, maxDelayMs };
}

export class HttpClient {
  private readonly ky: KyInstance;

  constructor(private readonly options: HttpClientOptions) {
    const base = options.backoffBaseMs ?? 300;
    const maxDelay = options.maxDelayMs ?? 30_000;
    const throttle = options.rateLimit
      ? pThrottle({ limit: options.rateLimit.limit, interval: options.rateLimit.intervalMs })(async () => undefined)
      : undefined;
    const send = options.fetch ?? fetch;
    this.ky = ky.create({
      fetch: options.metrics ? timedFetch(send, options.metrics, options.adapter) : send,
      headers: options.headers,
      timeout: options.timeoutMs,
      throwHttpErrors: true,
      retry: {
        limit: Math.max(0, (options.attempts ?? 3) - 1),
        // The searches adapters POST (Intercom) only read.
        methods: ["get", "post"],
        statusCodes: [408, 429, 500, 502, 503, 504],
        afterStatusCodes: [413, 429, 503],
        maxRetryAfter: maxDelay,
        backoffLimit: maxDelay,
        delay: (attempt) => base * 2 ** (attempt - 1),
        jitter: true,
        retryOnTimeout: true,
      },
      hooks: {
        beforeRequest: [
          async () => {
            // Before the attempt's timeout starts: waiting for a slot is not the API being slow.
            if (throttle) await throttle();
          },
        ],
      },
    });
  }

  /** Sends a request and returns its parsed JSON body. */
  async json(url: string, request: RequestOptions = {}): Promise<unknown> {
    const name = this.options.name;
    let text: string;
    try {
      const response = await this.ky(url, {
        method: request.method ?? "GET",
        searchParams: request.searchParams,
        json: request.json,
        headers: { accept: "application/json", ...request.headers },
      });
      text = await response.text();
    } catch (error) {
      throw this.failure(error);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CalculationError(`${name} returned malformed JSON`, { service: name });
    }
  }

  private failure(error: unknown): CalculationError {
    const name = this.options.name;
    if (error instanceof CalculationError) return error;
    if (error instanceof HTTPError) {
      const status = error.response.status;
      const hint =
        status === 401 || status === 403
          ? " (check the credentials)"
          : status === 429
            ? " (rate limited; retries exhausted)"
            : "";
      return new CalculationError(`${name} answered HTTP ${status}${hint}`, { service: name, status });
    }
    if (error instanceof TimeoutError) {
      return new CalculationError(`${name} did not answer within ${this.options.timeoutMs} ms`, { service: name, timeout: true });
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return new CalculationError(`${name} could not be reached${cause}`, { service: name });
  }
}

/**
 * A fetch that records each of its calls, one per attempt of ky's (retries included), in the
 * metrics. ky calls it after the beforeRequest hooks, so the throttle's wait is not counted. Hooks
 * alone could not time every attempt: one that ends in a network error or a timeout reaches no
 * hook before ky's backoff wait (beforeRetry runs after it).
 */
function timedFetch(send: typeof fetch, metrics: Metrics, adapter: string): typeof fetch {
  return async (input, init) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await send(input, init);
      metrics.observeExternalCall(adapter, seconds(), response.status);
      return response;
    } catch (error) {
      // Network errors and ky's timeout (it aborts the request) alike.
      metrics.observeExternalCall(adapter, seconds(), "error");
      throw error;
    }
  };
}

/** A calendar date's midnight in a time zone, as a Unix timestamp (seconds). */
export function midnightUnix(date: string, timeZone: string): number {
  const utc = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(utc)) throw new CalculationError(`invalid date ${date}`);
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const offsetAt = (instant: number) => {
    const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
    const wall = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
    return wall - instant;
  };
  // Twice: the offset at the guess may differ from the one at the answer around a DST change.
  let instant = utc - offsetAt(utc);
  instant = utc - offsetAt(instant);
  return Math.floor(instant / 1000);
}

/** The period [start, end) as Unix timestamps at midnight in the organisation's time zone. */
export function periodUnix(subject: CalculationSubject, timeZone: string): { from: number; to: number } {
  return { from: midnightUnix(subject.period.start, timeZone), to: midnightUnix(subject.period.end, timeZone) };
}

/** Metadata every adapter's result carries. Never credentials. */
export function baseMetadata(type: string, metric: string, startedAt: number, records: number, pages: number) {
  return {
    source: type,
    adapter: type,
    metric,
    records,
    pages,
    fetched_at: new Date().toISOString(),
    duration_ms: Date.now() - startedAt,
  };
}

export const numberOrNull = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;

export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
