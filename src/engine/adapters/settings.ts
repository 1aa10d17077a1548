import { badInput } from "../../lib/errors.js";

/**
 * Helpers of the adapters' settings checks (*.settings.ts). Those files are light on purpose: the
 * definition module validates a data source when it is saved by importing them, never the adapters'
 * runtime (HTTP clients, google-auth-library). Each check throws BAD_USER_INPUT naming the field.
 */
export type AdapterSettingsValidator = (settings: Record<string, unknown>, path: string) => void;

export const isSettingsObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const oneOf = (values: readonly string[]) => `must be one of ${values.join(", ")}`;

export function refuseUnknownSettings(settings: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const unknown = Object.keys(settings).find((key) => !allowed.includes(key));
  if (unknown !== undefined)
    throw badInput(`${path}.${unknown}`, `is not a setting of this adapter (allowed: ${allowed.join(", ")})`);
}

export function requireOneOf(settings: Record<string, unknown>, key: string, values: readonly string[], path: string): void {
  const value = settings[key];
  if (typeof value !== "string" || !values.includes(value)) throw badInput(`${path}.${key}`, oneOf(values));
}

/** The design's filters name what an adapter always does: only known keys, each with its placeholder. */
export function validatePlaceholderFilters(filters: unknown, known: Readonly<Record<string, string>>, path: string): void {
  if (filters === undefined) return;
  if (!isSettingsObject(filters)) throw badInput(path, "must be a JSON object");
  for (const [key, value] of Object.entries(filters)) {
    const expected = known[key];
    if (expected === undefined)
      throw badInput(`${path}.${key}`, `is not a supported filter (known: ${Object.keys(known).join(", ")})`);
    if (value !== expected) throw badInput(`${path}.${key}`, `must be "${expected}"`);
  }
}
