import type { AggregationPeriod, CalculationType, TargetType } from "../gql/graphql";

/** Where a KPI's values come from, as people say it. */
export const CALCULATION_TYPE_LABEL: Record<CalculationType, string> = {
  MANUAL: "Entered by hand",
  QUERY: "Database query",
  FORMULA: "Formula",
  API: "External API",
};

export const TARGET_TYPE_LABEL: Record<TargetType, string> = {
  HIGHER_BETTER: "higher is better",
  LOWER_BETTER: "lower is better",
  EXACT: "as close to the target as possible",
};

export const AGGREGATION_PERIOD_LABEL: Record<AggregationPeriod, string> = {
  DAILY: "Daily",
  WEEKLY: "Weekly",
  MONTHLY: "Monthly",
  QUARTERLY: "Quarterly",
};
