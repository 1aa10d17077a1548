import { refuseUnknownSettings, requireOneOf, validatePlaceholderFilters } from "./settings.js";

/** What an aircall data source accepts: shared by the save-time validation and the adapter. */
export const AIRCALL_METRICS: readonly string[] = [
  "call_count",
  "inbound_count",
  "outbound_count",
  "answered_count",
  "missed_count",
  "average_duration",
];
/** The design's filters name what the adapter always does (the user's calls in the period). */
export const AIRCALL_FILTERS: Readonly<Record<string, string>> = {
  user_id: ":user_id",
  from: ":start_date",
  to: ":end_date",
};
export const AIRCALL_SETTING_KEYS: readonly string[] = ["type", "metric", "filters"];

export function validateAircallSettings(settings: Record<string, unknown>, path: string): void {
  refuseUnknownSettings(settings, AIRCALL_SETTING_KEYS, path);
  requireOneOf(settings, "metric", AIRCALL_METRICS, path);
  validatePlaceholderFilters(settings.filters, AIRCALL_FILTERS, `${path}.filters`);
}
