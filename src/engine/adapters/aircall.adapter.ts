import { CalculationError, type CalculationSubject, type SourceResult } from "../outcome.js";
import type { DataSourceAdapter } from "./adapter.js";
import { AIRCALL_FILTERS, AIRCALL_METRICS } from "./aircall.settings.js";
import {
  baseMetadata,
  HttpClient,
  retryOptions,
  mean,
  numberOrNull,
  periodUnix,
  type AdapterHttpSettings,
} from "./http-client.js";

export { AIRCALL_METRICS, validateAircallSettings } from "./aircall.settings.js";

export interface AircallSettings extends AdapterHttpSettings {
  baseUrl: string;
  apiId?: string;
  apiToken?: string;
  /** The organisation's time zone: periods start at its midnight. */
  timeZone: string;
  /** Requests of the company (Aircall allows 60 a minute). */
  rateLimit?: { limit: number; intervalMs: number };
  maxPages?: number;
}

interface Call {
  direction?: string;
  started_at?: number | null;
  answered_at?: number | null;
  duration?: number | null;
  missed_call_reason?: string | null;
  user?: { id?: number | string | null } | null;
}

interface CallsPage {
  calls?: Call[];
  meta?: { next_page_link?: string | null; total?: number } | null;
}

const isAnswered = (call: Call) => call.answered_at !== null && call.answered_at !== undefined;
const isMissed = (call: Call) => Boolean(call.missed_call_reason) || (call.direction === "inbound" && !isAnswered(call));

/**
 * Aircall calls of the user in the period: GET /v1/calls?from&to (Unix timestamps) page by page,
 * keeping the calls whose user.id is the user's aircall id. /v1/calls is used rather than a per-user
 * listing because it is the documented, filterable listing of a company's calls. Pages are asked
 * by number (page=N) while meta.next_page_link is set, so credentials never follow a link elsewhere.
 * The company's 60 requests a minute are shared by every calculation through one throttle.
 */
export class AircallAdapter implements DataSourceAdapter {
  readonly type = "aircall";
  readonly provider = "aircall";
  private readonly http: HttpClient;

  constructor(private readonly settings: AircallSettings) {
    const credentials =
      settings.apiId && settings.apiToken ? Buffer.from(`${settings.apiId}:${settings.apiToken}`).toString("base64") : undefined;
    this.http = new HttpClient({
      name: "Aircall",
      ...retryOptions(settings),
      adapter: this.type,
      metrics: settings.metrics,
      headers: credentials ? { authorization: `Basic ${credentials}` } : {},
      rateLimit: settings.rateLimit ?? { limit: 60, intervalMs: 60_000 },
    });
  }

  async fetch(source: Record<string, unknown>, subject: CalculationSubject): Promise<SourceResult> {
    const metric = String(source.metric);
    if (!AIRCALL_METRICS.includes(metric))
      throw new CalculationError(`unknown aircall metric "${metric}" (known: ${AIRCALL_METRICS.join(", ")})`);
    checkFilters(source.filters);
    if (!this.settings.apiId || !this.settings.apiToken)
      throw new CalculationError("Aircall is not configured: set AIRCALL_API_ID and AIRCALL_API_TOKEN");
    const aircallId = subject.externalIds.aircall;
    if (!aircallId) return { kind: "skipped", reason: "no aircall id", metadata: { source: this.type } };

    const startedAt = Date.now();
    const { from, to } = periodUnix(subject, this.settings.timeZone);
    const maxPages = this.settings.maxPages ?? 200;
    const calls: Call[] = [];
    let fetched = 0;
    let page = 1;
    for (;;) {
      if (page > maxPages) throw new CalculationError(`Aircall returned more than ${maxPages} pages of calls`);
      const body = (await this.http.json(`${this.settings.baseUrl.replace(/\/$/, "")}/v1/calls`, {
        // `to` is inclusive at Aircall: the last second of the period.
        searchParams: { from, to: to - 1, order: "asc", per_page: 50, page },
      })) as CallsPage | null;
      if (!body || typeof body !== "object" || !Array.isArray(body.calls))
        throw new CalculationError("Aircall returned an unexpected response (no calls list)");
      fetched += body.calls.length;
      for (const call of body.calls) {
        const started = numberOrNull(call.started_at);
        if (String(call.user?.id ?? "") === aircallId && (started === null || (started >= from && started < to)))
          calls.push(call);
      }
      if (!body.meta?.next_page_link || body.calls.length === 0) break;
      page++;
    }

    const metadata = {
      ...baseMetadata(this.type, metric, startedAt, calls.length, page),
      calls_listed: fetched,
      period: { from, to },
    };
    const count = (predicate: (call: Call) => boolean) => ({
      kind: "value" as const,
      value: calls.filter(predicate).length,
      metadata,
    });
    switch (metric) {
      case "call_count":
        return count(() => true);
      case "inbound_count":
        return count((call) => call.direction === "inbound");
      case "outbound_count":
        return count((call) => call.direction === "outbound");
      case "answered_count":
        return count(isAnswered);
      case "missed_count":
        return count(isMissed);
    }
    const durations = calls
      .filter(isAnswered)
      .map((call) => numberOrNull(call.duration))
      .filter((d): d is number => d !== null);
    const value = mean(durations);
    return value === null
      ? { kind: "undefined", reason: "no answered calls in the period", metadata: { ...metadata, unit: "seconds" } }
      : { kind: "value", value, metadata: { ...metadata, unit: "seconds" } };
  }
}

/** The design's filters only name what the adapter always does: known keys with their placeholder values. */
function checkFilters(filters: unknown): void {
  if (filters === undefined || filters === null) return;
  if (typeof filters !== "object" || Array.isArray(filters)) throw new CalculationError("aircall filters must be an object");
  for (const [key, value] of Object.entries(filters)) {
    const expected = AIRCALL_FILTERS[key];
    if (!expected)
      throw new CalculationError(`aircall filter "${key}" is not supported (known: ${Object.keys(AIRCALL_FILTERS).join(", ")})`);
    if (value !== expected) throw new CalculationError(`aircall filter "${key}" must be "${expected}"`);
  }
}
