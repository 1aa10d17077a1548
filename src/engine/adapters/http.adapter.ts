import { search } from "@jmespath-community/jmespath";
import { outboundFetch } from "../../lib/outbound-fetch.js";
import type { OutboundPolicy } from "../../lib/outbound-policy.js";
import { CalculationError, type CalculationSubject, type SourceResult } from "../outcome.js";
import type { DataSourceAdapter } from "./adapter.js";
import { baseMetadata, HttpClient, retryOptions, mean, type AdapterHttpSettings } from "./http-client.js";
import { HTTP_AGGREGATES, HTTP_METHODS, HTTP_PLACEHOLDER, isHttpValuePlaceholder, type HttpAggregate } from "./http.settings.js";

export { HTTP_AGGREGATES, validateHttpSettings } from "./http.settings.js";

export interface HttpAdapterSettings extends AdapterHttpSettings {
  /** Named secrets from HTTP_SECRET_<NAME>, by upper-case name, used as {secret:NAME} in headers. */
  secrets: Readonly<Record<string, string>>;
  /** Where its URLs, typed by admins, may lead (OUTBOUND_ALLOWED_NETWORKS). */
  outbound: OutboundPolicy;
}

/**
 * Any JSON API: a URL template with {user_id}, {start_date}, {end_date} and
 * {external_id.<provider>} (URL-encoded), headers that may use {secret:NAME}, a JMESPath `select`
 * and an `aggregate` over the selected values.
 */
export class HttpJsonAdapter implements DataSourceAdapter {
  readonly type = "http";
  private readonly http: HttpClient;

  constructor(private readonly settings: HttpAdapterSettings) {
    this.http = new HttpClient({
      name: "The HTTP source",
      ...retryOptions(settings),
      adapter: this.type,
      metrics: settings.metrics,
      rateLimit: { limit: 20, intervalMs: 1_000 },
      fetch: outboundFetch(settings.outbound),
    });
  }

  async fetch(source: Record<string, unknown>, subject: CalculationSubject): Promise<SourceResult> {
    const template = String(source.url ?? "");
    const method = String(source.method ?? "GET").toUpperCase();
    if (!HTTP_METHODS.includes(method)) throw new CalculationError(`http method ${method} is not supported (only GET)`);
    const aggregate = String(source.aggregate ?? "value") as HttpAggregate;
    if (!HTTP_AGGREGATES.includes(aggregate))
      throw new CalculationError(`http aggregate "${aggregate}" is unknown (known: ${HTTP_AGGREGATES.join(", ")})`);
    const select = source.select === undefined ? "@" : String(source.select);

    const missing = this.missingExternalId([template, ...Object.values(headersOf(source))], subject);
    if (missing) return { kind: "skipped", reason: `no ${missing} id`, metadata: { source: this.type } };

    const url = this.fill(template, subject, "url");
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CalculationError("the http source's url is not a valid URL");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new CalculationError("the http source's url must be http:// or https://");
    const headers = Object.fromEntries(
      Object.entries(headersOf(source)).map(([name, value]) => [name, this.fill(value, subject, "header")]),
    );

    const startedAt = Date.now();
    const body = await this.http.json(parsed.toString(), { headers });
    let selected: unknown;
    try {
      selected = search(body as never, select);
    } catch (error) {
      throw new CalculationError(`the http source's select is not valid JMESPath: ${(error as Error).message}`);
    }
    const items = selected === null || selected === undefined ? [] : Array.isArray(selected) ? selected : [selected];
    // The URL without its query string: it may hold the user's ids, never secrets (those are headers only).
    const metadata = {
      ...baseMetadata(this.type, aggregate, startedAt, items.length, 1),
      url: `${parsed.origin}${parsed.pathname}`,
      select,
      aggregate,
    };
    if (aggregate === "count") return { kind: "value", value: items.length, metadata };
    const numbers = items.map(toNumber);
    if (aggregate === "value") {
      if (numbers.length !== 1)
        throw new CalculationError(`the http source's select gave ${numbers.length} values; aggregate "value" needs exactly one`);
      return { kind: "value", value: numbers[0]!, metadata };
    }
    if (aggregate === "sum")
      return {
        kind: "value",
        value: numbers.reduce((a, b) => a + b, 0),
        metadata,
      };
    if (numbers.length === 0) return { kind: "undefined", reason: "the http source's select gave no values", metadata };
    const value = aggregate === "avg" ? mean(numbers)! : aggregate === "min" ? Math.min(...numbers) : Math.max(...numbers);
    return { kind: "value", value, metadata };
  }

  private missingExternalId(templates: string[], subject: CalculationSubject): string | undefined {
    for (const template of templates)
      for (const match of template.matchAll(HTTP_PLACEHOLDER)) {
        const name = match[1]!;
        if (name.startsWith("external_id.") && !subject.externalIds[name.slice("external_id.".length)])
          return name.slice("external_id.".length);
      }
    return undefined;
  }

  private fill(template: string, subject: CalculationSubject, where: "url" | "header"): string {
    return template.replace(HTTP_PLACEHOLDER, (_, name: string) => {
      if (name.startsWith("secret:")) {
        if (where !== "header") throw new CalculationError("secrets may only be used in the http source's headers");
        const key = name.slice("secret:".length).toUpperCase();
        const secret = this.settings.secrets[key];
        if (secret === undefined) throw new CalculationError(`the secret ${key} is not configured (set HTTP_SECRET_${key})`);
        return secret;
      }
      if (!isHttpValuePlaceholder(name)) throw new CalculationError(`unknown placeholder {${name}} in the http source`);
      const value =
        name === "user_id"
          ? String(subject.userId)
          : name === "start_date"
            ? subject.period.start
            : name === "end_date"
              ? subject.period.end
              : subject.externalIds[name.slice("external_id.".length)]!;
      return where === "url" ? encodeURIComponent(value) : value;
    });
  }
}

function headersOf(source: Record<string, unknown>): Record<string, string> {
  const headers = source.headers;
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== "object" || Array.isArray(headers))
    throw new CalculationError("the http source's headers must be an object");
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));
}

function toNumber(value: unknown): number {
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(number))
    throw new CalculationError(
      `the http source's select gave a value that is not a number: ${JSON.stringify(value)?.slice(0, 50)}`,
    );
  return number;
}
