import { badInput } from "../../lib/errors.js";
import { refuseUnknownSettings, requireOneOf } from "./settings.js";

/** What a google_workspace data source accepts: shared by the save-time validation and the adapter. */
export const GOOGLE_AGGREGATES = ["sum", "avg", "max", "latest"] as const;
export type GoogleAggregate = (typeof GOOGLE_AGGREGATES)[number];
/** A Reports API user usage parameter, <application>:<name>, e.g. gmail:num_emails_sent. */
export const GOOGLE_METRIC_PATTERN = /^[a-z_]+:[a-z0-9_]+$/;
export const GOOGLE_SETTING_KEYS: readonly string[] = ["type", "metric", "aggregate"];

export function validateGoogleWorkspaceSettings(settings: Record<string, unknown>, path: string): void {
  refuseUnknownSettings(settings, GOOGLE_SETTING_KEYS, path);
  const metric = settings.metric;
  if (typeof metric !== "string" || !GOOGLE_METRIC_PATTERN.test(metric))
    throw badInput(`${path}.metric`, "must be a Reports API parameter <application>:<name> such as gmail:num_emails_sent");
  if (settings.aggregate !== undefined) requireOneOf(settings, "aggregate", GOOGLE_AGGREGATES, path);
}
