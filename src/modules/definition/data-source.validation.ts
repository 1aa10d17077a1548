import type { CalculationTypeValue } from "../../db/schema/index.js";
import { validateAircallSettings } from "../../engine/adapters/aircall.settings.js";
import { validateGoogleWorkspaceSettings } from "../../engine/adapters/google-workspace.settings.js";
import { validateHttpSettings } from "../../engine/adapters/http.settings.js";
import { validateIntercomSettings } from "../../engine/adapters/intercom.settings.js";
import type { AdapterSettingsValidator } from "../../engine/adapters/settings.js";
import { isKnownParameter, namedParametersIn } from "../../engine/query/named-parameters.js";
import { badInput } from "../../lib/errors.js";

/**
 * Shape checks of a definition's data_source, per calculation type, when it is saved. The calculation
 * engine deepens them (preparing queries, parsing formulas); here a malformed configuration is
 * refused with the path of the bad field, and a valid one is returned normalised.
 */
export type DataSource = Record<string, unknown>;

export const API_ADAPTER_TYPES = ["intercom", "aircall", "google_workspace", "http"] as const;
/**
 * What each adapter accepts is known by the adapter's own light settings file (also used by the
 * adapter at calculation time), never its runtime: saving a definition does not load HTTP clients.
 */
const API_SETTINGS_VALIDATORS: Record<(typeof API_ADAPTER_TYPES)[number], AdapterSettingsValidator> = {
  intercom: validateIntercomSettings,
  aircall: validateAircallSettings,
  google_workspace: validateGoogleWorkspaceSettings,
  http: validateHttpSettings,
};
const VARIABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function requireObject(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw badInput(path, "must be a JSON object");
  return value;
}

function requireString(source: Record<string, unknown>, key: string, path: string, what: string): string {
  const value = source[key];
  if (typeof value !== "string" || value.trim() === "") throw badInput(`${path}.${key}`, `is required: ${what}`);
  return value;
}

function refuseUnknownKeys(source: Record<string, unknown>, allowed: string[], path: string): void {
  const unknown = Object.keys(source).filter((key) => !allowed.includes(key));
  if (unknown.length > 0)
    throw badInput(`${path}.${unknown[0]}`, `is not a setting of this source (allowed: ${allowed.join(", ")})`);
}

function requireType(source: Record<string, unknown>, expected: string, path: string): void {
  if (source.type !== undefined && source.type !== expected) throw badInput(`${path}.type`, `must be "${expected}"`);
}

function validateQuerySource(value: unknown, path: string): DataSource {
  const source = requireObject(value, path);
  requireType(source, "database", path);
  refuseUnknownKeys(source, ["type", "connection", "query", "parameters"], path);
  const query = requireString(source, "query", path, "the SQL that returns the value in its first column");
  if (
    source.connection !== undefined &&
    (typeof source.connection !== "string" || !/^[a-z][a-z0-9_]*$/.test(source.connection))
  ) {
    throw badInput(`${path}.connection`, "must be a connection name such as default or warehouse");
  }
  const used = namedParametersIn(query);
  const unknownUsed = used.find((name) => !isKnownParameter(name));
  if (unknownUsed) {
    throw badInput(
      `${path}.query`,
      `uses unknown parameter :${unknownUsed} (known: :user_id, :start_date, :end_date, :external_id.<provider>)`,
    );
  }
  const parameters = source.parameters ?? [...new Set(used)];
  if (!Array.isArray(parameters) || parameters.some((name) => typeof name !== "string" || !isKnownParameter(name))) {
    throw badInput(`${path}.parameters`, "must list known parameter names such as user_id, start_date, end_date");
  }
  return { type: "database", ...(source.connection ? { connection: source.connection } : {}), query, parameters };
}

function validateApiSource(value: unknown, path: string): DataSource {
  const source = requireObject(value, path);
  const type = source.type;
  if (typeof type !== "string" || !(API_ADAPTER_TYPES as readonly string[]).includes(type)) {
    throw badInput(`${path}.type`, `must be one of the adapters ${API_ADAPTER_TYPES.join(", ")}`);
  }
  API_SETTINGS_VALIDATORS[type as (typeof API_ADAPTER_TYPES)[number]](source, path);
  return source;
}

function validateFormulaInputSource(value: unknown, path: string): DataSource {
  const source = requireObject(value, path);
  if (source.type === "database") return validateQuerySource(source, path);
  if (source.type === "kpi") {
    refuseUnknownKeys(source, ["type", "kpiDefinitionId"], path);
    const id = Number(source.kpiDefinitionId);
    if (!Number.isSafeInteger(id) || id <= 0) throw badInput(`${path}.kpiDefinitionId`, "must be the id of a KPI definition");
    return { type: "kpi", kpiDefinitionId: id };
  }
  return validateApiSource(source, path);
}

function validateFormulaSource(value: unknown, path: string): DataSource {
  const source = requireObject(value, path);
  requireType(source, "formula", path);
  refuseUnknownKeys(source, ["type", "formula", "inputs"], path);
  const formula = requireString(source, "formula", path, "an expression over the inputs' variables");
  const inputs = source.inputs ?? [];
  if (!Array.isArray(inputs)) throw badInput(`${path}.inputs`, "must be a list of { variable, source }");
  const seen = new Set<string>();
  const normalized = inputs.map((input: unknown, index) => {
    const inputPath = `${path}.inputs[${index}]`;
    const entry = requireObject(input, inputPath);
    const variable = requireString(entry, "variable", inputPath, "the name the formula uses");
    if (!VARIABLE_PATTERN.test(variable)) throw badInput(`${inputPath}.variable`, "must be a name of letters, digits and _");
    if (seen.has(variable)) throw badInput(`${inputPath}.variable`, `"${variable}" is defined twice`);
    seen.add(variable);
    return { variable, source: validateFormulaInputSource(entry.source, `${inputPath}.source`) };
  });
  return { type: "formula", formula, inputs: normalized };
}

function validateManualSource(value: unknown, path: string): DataSource {
  if (value === undefined || value === null) return { type: "manual" };
  const source = requireObject(value, path);
  requireType(source, "manual", path);
  refuseUnknownKeys(source, ["type", "allowed_range"], path);
  if (source.allowed_range === undefined) return { type: "manual" };
  const range = requireObject(source.allowed_range, `${path}.allowed_range`);
  const { min, max } = range;
  if (typeof min !== "number" || !Number.isFinite(min)) throw badInput(`${path}.allowed_range.min`, "must be a number");
  if (typeof max !== "number" || !Number.isFinite(max)) throw badInput(`${path}.allowed_range.max`, "must be a number");
  if (min > max) throw badInput(`${path}.allowed_range`, "min must not be greater than max");
  return { type: "manual", allowed_range: { min, max } };
}

export function validateDataSource(calculationType: CalculationTypeValue, value: unknown, path = "dataSource"): DataSource {
  switch (calculationType) {
    case "manual":
      return validateManualSource(value, path);
    case "query":
      if (value === undefined || value === null) throw badInput(path, "is required for a QUERY definition");
      return validateQuerySource(value, path);
    case "api":
      if (value === undefined || value === null) throw badInput(path, "is required for an API definition");
      return validateApiSource(value, path);
    case "formula":
      if (value === undefined || value === null) throw badInput(path, "is required for a FORMULA definition");
      return validateFormulaSource(value, path);
  }
}
