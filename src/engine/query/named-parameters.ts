import type { CalculationSubject } from "../outcome.js";

// `:name` or `:external_id.provider`, not the second colon of a `::type` cast, not inside a word.
const PARAMETER = /(?<![:\w]):([a-z_][a-z0-9_]*(?:\.[a-z][a-z0-9_-]*)?)/gi;
const FIXED_PARAMETERS = ["user_id", "start_date", "end_date"];

/** The named parameters a definition's SQL uses, in order of appearance, as written. */
export function namedParametersIn(sql: string): string[] {
  return [...sql.matchAll(PARAMETER)].map((match) => match[1]!);
}

/** The providers of the `:external_id.<provider>` parameters in `sql`, in order of appearance, each once. */
export function externalIdProvidersIn(sql: string): string[] {
  const names = namedParametersIn(sql).map((name) => name.toLowerCase());
  return [...new Set(names.filter((name) => name.startsWith("external_id.")).map((name) => name.slice("external_id.".length)))];
}

export function isKnownParameter(name: string): boolean {
  return FIXED_PARAMETERS.includes(name) || /^external_id\.[a-z][a-z0-9_-]*$/.test(name);
}

export interface BoundQuery {
  text: string;
  values: unknown[];
  /** The named parameters and the values bound to them, for the measurement's metadata. */
  parameters: Record<string, unknown>;
}

/**
 * Turns the named parameters of a definition's SQL into positional ones ($1, $2, …) with their values,
 * so values travel as real bind parameters and are never spliced into SQL text. A parameter used
 * twice is bound once. Undefined is returned for an `:external_id.<provider>` the user has none of.
 */
export function bindNamedParameters(
  sql: string,
  subject: CalculationSubject,
): { query: BoundQuery } | { missingExternalId: string } {
  const positions = new Map<string, number>();
  const values: unknown[] = [];
  const parameters: Record<string, unknown> = {};
  let missingExternalId: string | undefined;
  const text = sql.replace(PARAMETER, (_match, rawName: string) => {
    const name = rawName.toLowerCase();
    let position = positions.get(name);
    if (position === undefined) {
      const value = parameterValue(name, subject);
      if (value === undefined) missingExternalId ??= name.slice("external_id.".length);
      values.push(value ?? null);
      parameters[name] = value ?? null;
      position = values.length;
      positions.set(name, position);
    }
    return `$${position}`;
  });
  return missingExternalId ? { missingExternalId } : { query: { text, values, parameters } };
}

function parameterValue(name: string, subject: CalculationSubject): unknown {
  switch (name) {
    case "user_id":
      return subject.userId;
    case "start_date":
      return subject.period.start;
    case "end_date":
      return subject.period.end;
  }
  if (name.startsWith("external_id.")) return subject.externalIds[name.slice("external_id.".length)];
  throw new Error(`unknown parameter :${name}`); // refused when the definition was saved
}
