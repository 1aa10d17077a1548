import type { AggregationPeriod, CalculationType, TargetType } from "../gql/graphql";
import { parseNumber } from "./common";

/**
 * A definition's form as text fields, and its dataSource JSON (the shapes the server's
 * data-source validation accepts) built from them and read back from a saved definition.
 */
export const ADAPTERS = ["intercom", "aircall", "google_workspace", "http"] as const;
export type Adapter = (typeof ADAPTERS)[number];
export const ADAPTER_LABEL: Record<Adapter, string> = {
  intercom: "Intercom",
  aircall: "Aircall",
  google_workspace: "Google Workspace",
  http: "HTTP (JSON)",
};
export const INTERCOM_METRICS = [
  "conversation_count",
  "closed_count",
  "first_response_time",
  "average_first_response_time",
  "median_first_response_time",
];
export const AIRCALL_METRICS = [
  "call_count",
  "inbound_count",
  "outbound_count",
  "answered_count",
  "missed_count",
  "average_duration",
];
export const GOOGLE_AGGREGATES = ["sum", "avg", "max", "latest"];
export const HTTP_AGGREGATES = ["value", "sum", "avg", "count", "min", "max"];

export type InputKind = "kpi" | "database" | "kept";
export interface FormulaInput {
  key: number;
  variable: string;
  kind: InputKind;
  kpiDefinitionId: string;
  query: string;
  connection: string;
  /** An input source the form does not edit (an API source): kept as it was. */
  kept?: Record<string, unknown>;
}

export interface DefinitionFormState {
  name: string;
  description: string;
  category: string;
  unit: string;
  targetType: TargetType;
  aggregationPeriod: AggregationPeriod;
  additive: "auto" | "yes" | "no";
  calculationType: CalculationType;
  manualMin: string;
  manualMax: string;
  connection: string;
  query: string;
  formula: string;
  inputs: FormulaInput[];
  adapter: Adapter;
  metric: string;
  googleMetric: string;
  aggregate: string;
  url: string;
  headers: string;
  select: string;
  /** Settings of the saved API source that the form does not show (intercom's filters), kept. */
  apiExtra: Record<string, unknown>;
  apiExtraAdapter?: Adapter;
}

let nextKey = 1;
export const newInput = (): FormulaInput => ({
  key: nextKey++,
  variable: "",
  kind: "kpi",
  kpiDefinitionId: "",
  query: "",
  connection: "",
});

export function emptyForm(): DefinitionFormState {
  return {
    name: "",
    description: "",
    category: "",
    unit: "",
    targetType: "HIGHER_BETTER",
    aggregationPeriod: "MONTHLY",
    additive: "auto",
    calculationType: "MANUAL",
    manualMin: "",
    manualMax: "",
    connection: "",
    query: "",
    formula: "",
    inputs: [newInput()],
    adapter: "intercom",
    metric: "",
    googleMetric: "",
    aggregate: "",
    url: "",
    headers: "",
    select: "",
    apiExtra: {},
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === "string" ? value : value === undefined || value === null ? "" : String(value));

/** The form of a saved definition. */
export function formFromDefinition(d: {
  name: string;
  description?: string | null;
  category?: string | null;
  unit?: string | null;
  targetType: TargetType;
  aggregationPeriod: AggregationPeriod;
  additive: boolean;
  calculationType: CalculationType;
  dataSource?: unknown;
}): DefinitionFormState {
  const form: DefinitionFormState = {
    ...emptyForm(),
    name: d.name,
    description: d.description ?? "",
    category: d.category ?? "",
    unit: d.unit ?? "",
    targetType: d.targetType,
    aggregationPeriod: d.aggregationPeriod,
    additive: d.additive ? "yes" : "no",
    calculationType: d.calculationType,
    inputs: [],
  };
  const source = isObject(d.dataSource) ? d.dataSource : {};
  switch (d.calculationType) {
    case "MANUAL": {
      const range = isObject(source.allowed_range) ? source.allowed_range : undefined;
      form.manualMin = text(range?.min);
      form.manualMax = text(range?.max);
      break;
    }
    case "QUERY":
      form.query = text(source.query);
      form.connection = text(source.connection);
      break;
    case "FORMULA":
      form.formula = text(source.formula);
      form.inputs = (Array.isArray(source.inputs) ? source.inputs : []).filter(isObject).map((input) => {
        const inputSource = isObject(input.source) ? input.source : {};
        const base = { ...newInput(), variable: text(input.variable) };
        if (inputSource.type === "kpi")
          return { ...base, kind: "kpi" as const, kpiDefinitionId: text(inputSource.kpiDefinitionId) };
        if (inputSource.type === "database")
          return { ...base, kind: "database" as const, query: text(inputSource.query), connection: text(inputSource.connection) };
        return { ...base, kind: "kept" as const, kept: inputSource };
      });
      break;
    case "API": {
      const adapter = (ADAPTERS as readonly string[]).includes(text(source.type)) ? (source.type as Adapter) : "intercom";
      form.adapter = adapter;
      const { type: _type, metric, aggregate, url, headers, select, ...rest } = source;
      if (adapter === "google_workspace") form.googleMetric = text(metric);
      else form.metric = text(metric);
      form.aggregate = text(aggregate);
      form.url = text(url);
      form.select = text(select);
      form.headers = isObject(headers)
        ? Object.entries(headers)
            .map(([name, value]) => `${name}: ${text(value)}`)
            .join("\n")
        : "";
      form.apiExtra = rest;
      form.apiExtraAdapter = adapter;
      break;
    }
  }
  return form;
}

function headersObject(lines: string): Record<string, string> | undefined {
  const entries = lines
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const colon = line.indexOf(":");
      return colon < 0 ? [line, ""] : [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** The dataSource JSON the form describes. */
export function buildDataSource(form: DefinitionFormState): Record<string, unknown> {
  switch (form.calculationType) {
    case "MANUAL": {
      const min = parseNumber(form.manualMin);
      const max = parseNumber(form.manualMax);
      return min === undefined && max === undefined ? { type: "manual" } : { type: "manual", allowed_range: { min, max } };
    }
    case "QUERY":
      return { type: "database", query: form.query, ...(form.connection.trim() ? { connection: form.connection.trim() } : {}) };
    case "FORMULA":
      return {
        type: "formula",
        formula: form.formula,
        inputs: form.inputs.map((input) => ({
          variable: input.variable.trim(),
          source:
            input.kind === "kpi"
              ? { type: "kpi", kpiDefinitionId: input.kpiDefinitionId }
              : input.kind === "database"
                ? {
                    type: "database",
                    query: input.query,
                    ...(input.connection.trim() ? { connection: input.connection.trim() } : {}),
                  }
                : input.kept,
        })),
      };
    case "API": {
      const extra = form.apiExtraAdapter === form.adapter ? form.apiExtra : {};
      const opt = (key: string, value: unknown) => (value === "" || value === undefined ? {} : { [key]: value });
      switch (form.adapter) {
        case "intercom":
        case "aircall":
          return { ...extra, type: form.adapter, metric: form.metric };
        case "google_workspace":
          return { ...extra, type: form.adapter, metric: form.googleMetric.trim(), ...opt("aggregate", form.aggregate) };
        case "http":
          return {
            ...extra,
            type: "http",
            url: form.url.trim(),
            select: form.select.trim(),
            ...opt("headers", headersObject(form.headers)),
            ...opt("aggregate", form.aggregate),
          };
      }
    }
  }
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The client's checks, for comfort (the server's are the truth), by the server's field paths. */
export function validateForm(form: DefinitionFormState): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!form.name.trim()) errors.name = "Enter a name.";
  switch (form.calculationType) {
    case "MANUAL": {
      const min = parseNumber(form.manualMin);
      const max = parseNumber(form.manualMax);
      if (min !== undefined && Number.isNaN(min)) errors["dataSource.allowed_range.min"] = "Enter a number.";
      if (max !== undefined && Number.isNaN(max)) errors["dataSource.allowed_range.max"] = "Enter a number.";
      if ((min === undefined) !== (max === undefined))
        errors[min === undefined ? "dataSource.allowed_range.min" : "dataSource.allowed_range.max"] =
          "Enter both ends of the range, or neither.";
      if (min !== undefined && max !== undefined && min > max)
        errors["dataSource.allowed_range"] = "The minimum must not be greater than the maximum.";
      break;
    }
    case "QUERY":
      if (!form.query.trim()) errors["dataSource.query"] = "Enter the SQL that returns the value.";
      break;
    case "FORMULA":
      if (!form.formula.trim()) errors["dataSource.formula"] = "Enter a formula.";
      form.inputs.forEach((input, index) => {
        const path = `dataSource.inputs[${index}]`;
        if (!VARIABLE.test(input.variable.trim()))
          errors[`${path}.variable`] = "A name of letters, digits and _, not starting with a digit.";
        else if (form.inputs.findIndex((other) => other.variable.trim() === input.variable.trim()) < index)
          errors[`${path}.variable`] = "This name is already used.";
        if (input.kind === "kpi" && !input.kpiDefinitionId) errors[`${path}.source.kpiDefinitionId`] = "Choose a KPI.";
        if (input.kind === "database" && !input.query.trim()) errors[`${path}.source.query`] = "Enter the SQL.";
      });
      break;
    case "API":
      if (form.adapter === "intercom" || form.adapter === "aircall") {
        if (!form.metric) errors["dataSource.metric"] = "Choose a metric.";
      } else if (form.adapter === "google_workspace") {
        if (!/^[a-z_]+:[a-z0-9_]+$/.test(form.googleMetric.trim()))
          errors["dataSource.metric"] = "A Reports API parameter such as gmail:num_emails_sent.";
      } else {
        if (!/^https?:\/\//i.test(form.url.trim())) errors["dataSource.url"] = "Enter an http:// or https:// URL.";
        if (!form.select.trim()) errors["dataSource.select"] = "Enter a JMESPath expression, e.g. data.total.";
      }
      break;
  }
  return errors;
}
