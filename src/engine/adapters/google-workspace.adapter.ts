import { readFile } from "node:fs/promises";
import type * as GoogleAuth from "google-auth-library";
import type { JWT } from "google-auth-library";
import { CalculationError, type CalculationSubject, type SourceResult } from "../outcome.js";
import type { DataSourceAdapter } from "./adapter.js";
import { GOOGLE_AGGREGATES, GOOGLE_METRIC_PATTERN, type GoogleAggregate } from "./google-workspace.settings.js";
import { baseMetadata, HttpClient, retryOptions, mean, type AdapterHttpSettings } from "./http-client.js";

export { GOOGLE_AGGREGATES, validateGoogleWorkspaceSettings } from "./google-workspace.settings.js";

export const REPORTS_SCOPE = "https://www.googleapis.com/auth/admin.reports.usage.readonly";

/** Gives an OAuth access token for the Reports API. */
export type AccessTokenProvider = () => Promise<string>;

export interface GoogleWorkspaceSettings extends AdapterHttpSettings {
  baseUrl: string;
  /** A service-account JSON key with domain-wide delegation of the reports scope. */
  serviceAccountFile?: string;
  /** The administrator the service account acts as (required by domain-wide delegation). */
  adminEmail?: string;
  /** Replaces the service-account flow (tests; other credential sources). */
  accessToken?: AccessTokenProvider;
  /** Days asked at once. */
  concurrency?: number;
  /** The organisation's calendar "today": days from it on have no report yet and are not asked. */
  today?: () => string;
}

interface UsageReports {
  usageReports?: Array<{ date?: string; parameters?: Array<{ name?: string; intValue?: string | number; boolValue?: boolean }> }>;
  nextPageToken?: string;
  warnings?: Array<{ code?: string; message?: string }>;
}

/** Google's OAuth 2.0 token endpoint: the token_uri of its service-account key files, and google-auth-library's. */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

interface ServiceAccountKey {
  client_email?: string;
  private_key?: string;
  token_uri?: string;
}

/**
 * The service-account flow of google-auth-library: the key file is read once; the library signs an
 * assertion (RS256, iss the service account, sub the admin, the reports scope), exchanges it at the
 * key's token endpoint, caches the access token and refreshes it before it expires.
 */
export function serviceAccountToken(file: string, subject: string | undefined): AccessTokenProvider {
  let client: Promise<JWT> | undefined;
  return async () => {
    client ??= readFile(file, "utf8").then(async (text) => {
      const key = JSON.parse(text) as ServiceAccountKey;
      if (!key.client_email || !key.private_key)
        throw new CalculationError("GOOGLE_SERVICE_ACCOUNT_FILE is not a service-account key (client_email, private_key)");
      // Loaded here, not at start: most servers never read Google Workspace (a third of a megabyte of modules).
      const { JWT } = await import("google-auth-library");
      return jwtClient(JWT, key as ServiceAccountKey & { client_email: string; private_key: string }, subject);
    });
    try {
      const { token } = await (await client).getAccessToken();
      if (!token) throw new Error("no token");
      return token;
    } catch (error) {
      client = undefined;
      if (error instanceof CalculationError) throw error;
      throw tokenError(error);
    }
  };
}

/**
 * google-auth-library posts the assertion to Google's endpoint, signed for it as audience, whatever
 * the key says. A key whose token_uri names another endpoint (an emulator's, a test's) gets both
 * moved there: the audience by a claim (additional claims override it), the request by an
 * interceptor on the client's own transporter, which only its token requests use.
 */
function jwtClient(
  JWT: typeof GoogleAuth.JWT,
  key: ServiceAccountKey & { client_email: string; private_key: string },
  subject: string | undefined,
): JWT {
  const tokenUrl = key.token_uri ?? GOOGLE_TOKEN_URL;
  if (!/^https?:\/\//.test(tokenUrl)) throw new CalculationError("GOOGLE_SERVICE_ACCOUNT_FILE: token_uri must be an http(s) URL");
  const elsewhere = tokenUrl !== GOOGLE_TOKEN_URL;
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    scopes: [REPORTS_SCOPE],
    subject,
    ...(elsewhere ? { additionalClaims: { aud: tokenUrl } } : {}),
  });
  if (elsewhere) {
    client.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (options.url.href === GOOGLE_TOKEN_URL) options.url = new URL(tokenUrl);
        return options;
      },
    });
  }
  return client;
}

/**
 * Why no token came: the endpoint's HTTP status and OAuth error (RFC 6749 5.2), which name the
 * problem (invalid_grant, unauthorized_client) and never hold the key; nothing else of the
 * library's error, which may carry the request.
 */
function tokenError(error: unknown): CalculationError {
  const { status, response, code } = error as { status?: number; response?: { data?: unknown }; code?: unknown };
  if (typeof status !== "number") {
    const reason = typeof code === "string" && /^[A-Z_]+$/.test(code) ? ` (${code})` : "";
    return new CalculationError(`Google Workspace's token endpoint could not be reached for an access token${reason}`);
  }
  const data = (typeof response?.data === "object" && response.data) || {};
  const text = (value: unknown) => (typeof value === "string" ? value.replace(/[^\x20-\x7e]/g, "").slice(0, 200) : "");
  const oauth = [text((data as { error?: unknown }).error), text((data as { error_description?: unknown }).error_description)]
    .filter(Boolean)
    .join(": ");
  return new CalculationError(
    `Google Workspace refused the service account's credentials (token endpoint: HTTP ${status}${oauth ? ` ${oauth}` : ""})`,
  );
}

/**
 * Google Workspace usage of the user (the Admin SDK Reports API): one user usage report per day of
 * the period, GET /admin/reports/v1/usage/users/{userKey}/dates/{date}?parameters=<metric>, the
 * days' values aggregated (sum by default; "latest" for cumulative parameters such as
 * accounts:used_quota_in_mb). Days Google has no data for yet are left out and counted.
 */
export class GoogleWorkspaceAdapter implements DataSourceAdapter {
  readonly type = "google_workspace";
  readonly provider = "google_workspace";
  private readonly http: HttpClient;
  private readonly token?: AccessTokenProvider;

  constructor(private readonly settings: GoogleWorkspaceSettings) {
    this.http = new HttpClient({
      name: "Google Workspace",
      ...retryOptions(settings),
      adapter: this.type,
      metrics: settings.metrics,
      rateLimit: { limit: 20, intervalMs: 1_000 },
    });
    this.token =
      settings.accessToken ??
      (settings.serviceAccountFile ? serviceAccountToken(settings.serviceAccountFile, settings.adminEmail) : undefined);
  }

  async fetch(source: Record<string, unknown>, subject: CalculationSubject): Promise<SourceResult> {
    const metric = String(source.metric);
    if (!GOOGLE_METRIC_PATTERN.test(metric))
      throw new CalculationError(
        `google_workspace metric "${metric}" must be a Reports API parameter such as gmail:num_emails_sent`,
      );
    const aggregate = String(source.aggregate ?? "sum") as GoogleAggregate;
    if (!GOOGLE_AGGREGATES.includes(aggregate))
      throw new CalculationError(`google_workspace aggregate "${aggregate}" is unknown (known: ${GOOGLE_AGGREGATES.join(", ")})`);
    if (!this.token) throw new CalculationError("Google Workspace is not configured: set GOOGLE_SERVICE_ACCOUNT_FILE");
    const userKey = subject.externalIds.google_workspace;
    if (!userKey) return { kind: "skipped", reason: "no google_workspace id", metadata: { source: this.type } };

    const startedAt = Date.now();
    const today = this.settings.today?.();
    const days = daysOf(subject.period).filter((day) => !today || day < today);
    const token = await this.token();
    const base = this.settings.baseUrl.replace(/\/$/, "");
    const values = new Map<string, number>();
    let pages = 0;
    let missing = 0;
    const concurrency = this.settings.concurrency ?? 5;
    for (let i = 0; i < days.length; i += concurrency) {
      await Promise.all(
        days.slice(i, i + concurrency).map(async (day) => {
          let pageToken: string | undefined;
          let found: number | undefined;
          do {
            const body = (await this.http.json(
              `${base}/admin/reports/v1/usage/users/${encodeURIComponent(userKey)}/dates/${day}`,
              {
                headers: { authorization: `Bearer ${token}` },
                searchParams: { parameters: metric, ...(pageToken ? { pageToken } : {}) },
              },
            )) as UsageReports | null;
            pages++;
            if (!body || typeof body !== "object") throw new CalculationError("Google Workspace returned an unexpected response");
            for (const report of body.usageReports ?? [])
              for (const parameter of report.parameters ?? [])
                if (parameter.name === metric) {
                  const value = parameter.boolValue !== undefined ? Number(parameter.boolValue) : Number(parameter.intValue);
                  if (Number.isFinite(value)) found = (found ?? 0) + value;
                }
            pageToken = body.nextPageToken || undefined;
          } while (pageToken);
          if (found === undefined) missing++;
          else values.set(day, found);
        }),
      );
    }

    const ordered = days.filter((day) => values.has(day)).map((day) => values.get(day)!);
    const metadata = {
      ...baseMetadata(this.type, metric, startedAt, ordered.length, pages),
      aggregate,
      days: days.length,
      days_without_data: missing,
    };
    if (ordered.length === 0)
      return { kind: "undefined", reason: "Google Workspace has no usage data for the period (yet)", metadata };
    const value =
      aggregate === "sum"
        ? ordered.reduce((a, b) => a + b, 0)
        : aggregate === "avg"
          ? mean(ordered)!
          : aggregate === "max"
            ? Math.max(...ordered)
            : ordered[ordered.length - 1]!;
    return { kind: "value", value, metadata };
  }
}

function daysOf(period: { start: string; end: string }): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${period.start}T00:00:00Z`); t < Date.parse(`${period.end}T00:00:00Z`); t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}
