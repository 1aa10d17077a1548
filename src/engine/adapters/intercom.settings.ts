import { badInput } from "../../lib/errors.js";
import { oneOf, refuseUnknownSettings, requireOneOf, validatePlaceholderFilters } from "./settings.js";

/** What an intercom data source accepts: shared by the save-time validation and the adapter. */
export const INTERCOM_COUNT_METRICS = ["conversation_count", "closed_count"] as const;
export const INTERCOM_TIME_METRICS = [
  "first_response_time",
  "average_first_response_time",
  "median_first_response_time",
] as const;
export const INTERCOM_METRICS: readonly string[] = [...INTERCOM_COUNT_METRICS, ...INTERCOM_TIME_METRICS];
export const INTERCOM_ENDPOINTS: readonly string[] = ["conversations"];
/** The design's filters name what the adapter always does; their values are placeholders. */
export const INTERCOM_FILTERS: Readonly<Record<string, string>> = {
  assignee_id: ":user_id",
  admin_assignee_id: ":user_id",
  created_at_after: ":start_date",
  created_at_before: ":end_date",
};
export const INTERCOM_SETTING_KEYS: readonly string[] = ["type", "endpoint", "metric", "filters"];

export function validateIntercomSettings(settings: Record<string, unknown>, path: string): void {
  refuseUnknownSettings(settings, INTERCOM_SETTING_KEYS, path);
  requireOneOf(settings, "metric", INTERCOM_METRICS, path);
  if (settings.endpoint !== undefined && !INTERCOM_ENDPOINTS.includes(settings.endpoint as string))
    throw badInput(`${path}.endpoint`, oneOf(INTERCOM_ENDPOINTS));
  validatePlaceholderFilters(settings.filters, INTERCOM_FILTERS, `${path}.filters`);
}
