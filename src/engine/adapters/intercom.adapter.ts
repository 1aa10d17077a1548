import { CalculationError, type CalculationSubject, type SourceResult } from "../outcome.js";
import type { DataSourceAdapter } from "./adapter.js";
import {
  baseMetadata,
  HttpClient,
  retryOptions,
  mean,
  median,
  numberOrNull,
  periodUnix,
  type AdapterHttpSettings,
} from "./http-client.js";
import { INTERCOM_ENDPOINTS, INTERCOM_FILTERS, INTERCOM_METRICS } from "./intercom.settings.js";

export { INTERCOM_METRICS, validateIntercomSettings } from "./intercom.settings.js";

export interface IntercomSettings extends AdapterHttpSettings {
  baseUrl: string;
  accessToken?: string;
  /** The organisation's time zone: periods start at its midnight. */
  timeZone: string;
  /** Conversations per page of the search (Intercom allows up to 150). */
  perPage?: number;
  /** Stops runaway pagination. */
  maxPages?: number;
}

interface Conversation {
  state?: string;
  statistics?: { time_to_admin_reply?: number | null } | null;
}

interface SearchPage {
  conversations?: Conversation[];
  pages?: { next?: { starting_after?: string | null } | null } | null;
}

/**
 * Intercom conversations assigned to the user (admin_assignee_id = the user's intercom id) created
 * in the period, through POST /conversations/search with cursor pagination. Times are in minutes.
 */
export class IntercomAdapter implements DataSourceAdapter {
  readonly type = "intercom";
  readonly provider = "intercom";
  private readonly http: HttpClient;

  constructor(private readonly settings: IntercomSettings) {
    this.http = new HttpClient({
      name: "Intercom",
      ...retryOptions(settings),
      adapter: this.type,
      metrics: settings.metrics,
      headers: {
        ...(settings.accessToken ? { authorization: `Bearer ${settings.accessToken}` } : {}),
        "intercom-version": "2.11",
      },
      // Intercom allows about 10,000 calls a minute per app; stay well under it.
      rateLimit: { limit: 50, intervalMs: 1_000 },
    });
  }

  async fetch(source: Record<string, unknown>, subject: CalculationSubject): Promise<SourceResult> {
    const metric = String(source.metric);
    if (!INTERCOM_METRICS.includes(metric))
      throw new CalculationError(`unknown intercom metric "${metric}" (known: ${INTERCOM_METRICS.join(", ")})`);
    if (source.endpoint !== undefined && !INTERCOM_ENDPOINTS.includes(source.endpoint as string))
      throw new CalculationError(`intercom endpoint "${String(source.endpoint)}" is not supported (only "conversations")`);
    checkFilters(source.filters);
    if (!this.settings.accessToken) throw new CalculationError("Intercom is not configured: set INTERCOM_ACCESS_TOKEN");
    const adminId = subject.externalIds.intercom;
    if (!adminId) return { kind: "skipped", reason: "no intercom id", metadata: { source: this.type } };

    const startedAt = Date.now();
    const { from, to } = periodUnix(subject, this.settings.timeZone);
    const perPage = Math.min(150, this.settings.perPage ?? 150);
    const maxPages = this.settings.maxPages ?? 200;
    const conversations: Conversation[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      if (pages >= maxPages) throw new CalculationError(`Intercom returned more than ${maxPages} pages of conversations`);
      const body = (await this.http.json(`${this.settings.baseUrl.replace(/\/$/, "")}/conversations/search`, {
        method: "POST",
        json: {
          query: {
            operator: "AND",
            value: [
              { field: "admin_assignee_id", operator: "=", value: /^\d+$/.test(adminId) ? Number(adminId) : adminId },
              // Intercom's search has > and < only: created_at >= from is created_at > from - 1.
              { field: "created_at", operator: ">", value: from - 1 },
              { field: "created_at", operator: "<", value: to },
            ],
          },
          pagination: { per_page: perPage, ...(cursor ? { starting_after: cursor } : {}) },
        },
      })) as SearchPage | null;
      pages++;
      if (!body || typeof body !== "object" || !Array.isArray(body.conversations))
        throw new CalculationError("Intercom returned an unexpected response (no conversations list)");
      conversations.push(...body.conversations);
      const next = body.pages?.next?.starting_after;
      cursor = typeof next === "string" && next !== "" ? next : undefined;
    } while (cursor);

    const metadata = {
      ...baseMetadata(this.type, metric, startedAt, conversations.length, pages),
      endpoint: "conversations/search",
      period: { from, to, timeZone: this.settings.timeZone },
    };
    switch (metric) {
      case "conversation_count":
        return { kind: "value", value: conversations.length, metadata };
      case "closed_count":
        return { kind: "value", value: conversations.filter((c) => c.state === "closed").length, metadata };
    }
    const minutes = conversations
      .map((c) => numberOrNull(c.statistics?.time_to_admin_reply))
      .filter((seconds): seconds is number => seconds !== null)
      .map((seconds) => seconds / 60);
    const withReply = { ...metadata, unit: "minutes", replied: minutes.length };
    if (conversations.length === 0) return { kind: "undefined", reason: "no conversations in the period", metadata: withReply };
    const value = metric === "median_first_response_time" ? median(minutes) : mean(minutes);
    return value === null
      ? { kind: "undefined", reason: "no conversation in the period has an admin reply", metadata: withReply }
      : { kind: "value", value, metadata: withReply };
  }
}

function checkFilters(filters: unknown): void {
  if (filters === undefined || filters === null) return;
  if (typeof filters !== "object" || Array.isArray(filters)) throw new CalculationError("intercom filters must be an object");
  for (const [key, value] of Object.entries(filters)) {
    const expected = INTERCOM_FILTERS[key];
    if (!expected)
      throw new CalculationError(
        `intercom filter "${key}" is not supported (known: ${Object.keys(INTERCOM_FILTERS).join(", ")})`,
      );
    if (value !== expected) throw new CalculationError(`intercom filter "${key}" must be "${expected}"`);
  }
}
