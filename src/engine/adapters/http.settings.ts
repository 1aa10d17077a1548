import { compile } from "@jmespath-community/jmespath";
import { badInput } from "../../lib/errors.js";
import { isSettingsObject, oneOf, refuseUnknownSettings, requireOneOf } from "./settings.js";

/** What an http data source accepts: shared by the save-time validation and the adapter. */
export const HTTP_AGGREGATES = ["value", "sum", "avg", "count", "min", "max"] as const;
export type HttpAggregate = (typeof HTTP_AGGREGATES)[number];
export const HTTP_METHODS: readonly string[] = ["GET"];
export const HTTP_SETTING_KEYS: readonly string[] = ["type", "url", "method", "headers", "select", "aggregate"];
/** {user_id}, {start_date}, {end_date}, {external_id.<provider>} and, in headers only, {secret:NAME}. */
export const HTTP_PLACEHOLDER = /\{([a-z_][a-z0-9_]*(?:\.[a-z][a-z0-9_-]*)?|secret:[A-Za-z0-9_]+)\}/g;
export const HTTP_PLACEHOLDERS_HELP = "{user_id}, {start_date}, {end_date}, {external_id.<provider>}";

export const isHttpValuePlaceholder = (name: string) =>
  name === "user_id" || name === "start_date" || name === "end_date" || /^external_id\.[a-z][a-z0-9_-]*$/.test(name);

function validateTemplate(template: string, path: string, where: "url" | "header"): void {
  for (const match of template.matchAll(HTTP_PLACEHOLDER)) {
    const name = match[1]!;
    if (name.startsWith("secret:")) {
      if (where !== "header") throw badInput(path, "may not use {secret:…}: secrets may only be used in headers");
    } else if (!isHttpValuePlaceholder(name)) {
      throw badInput(path, `uses unknown placeholder {${name}} (known: ${HTTP_PLACEHOLDERS_HELP}, {secret:NAME} in headers)`);
    }
  }
}

export function validateHttpSettings(settings: Record<string, unknown>, path: string): void {
  refuseUnknownSettings(settings, HTTP_SETTING_KEYS, path);

  const url = settings.url;
  if (typeof url !== "string" || url.trim() === "")
    throw badInput(`${path}.url`, "is required: the URL template of the JSON source");
  if (!/^https?:\/\//i.test(url)) throw badInput(`${path}.url`, "must be an http:// or https:// URL");
  validateTemplate(url, `${path}.url`, "url");
  try {
    new URL(url.replace(HTTP_PLACEHOLDER, "x"));
  } catch {
    throw badInput(`${path}.url`, "is not a valid URL");
  }

  if (settings.method !== undefined) {
    const method = settings.method;
    if (typeof method !== "string" || !HTTP_METHODS.includes(method.toUpperCase()))
      throw badInput(`${path}.method`, `${oneOf(HTTP_METHODS)} (only GET is supported)`);
  }

  if (settings.headers !== undefined) {
    const headers = settings.headers;
    if (!isSettingsObject(headers)) throw badInput(`${path}.headers`, "must be a JSON object of header names to strings");
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== "string") throw badInput(`${path}.headers.${name}`, "must be a string");
      validateTemplate(value, `${path}.headers.${name}`, "header");
    }
  }

  const select = settings.select;
  if (typeof select !== "string" || select.trim() === "")
    throw badInput(`${path}.select`, "is required: a JMESPath expression selecting the value(s), e.g. data.total");
  try {
    compile(select);
  } catch (error) {
    throw badInput(`${path}.select`, `is not a valid JMESPath expression: ${(error as Error).message}`);
  }

  if (settings.aggregate !== undefined) requireOneOf(settings, "aggregate", HTTP_AGGREGATES, path);
}
