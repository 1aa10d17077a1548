/** A KPI's status from its achievement: always given in words, never by colour alone. */
export type KpiStatus = "on-target" | "close" | "off-target" | "no-data";

/** At or above target; within 20 % of it (the default BELOW_TARGET alert threshold is 80 %); below. */
export function statusOf(achievementPercentage: number | null | undefined): KpiStatus {
  if (achievementPercentage === null || achievementPercentage === undefined) return "no-data";
  if (achievementPercentage >= 100) return "on-target";
  if (achievementPercentage >= 80) return "close";
  return "off-target";
}

export const STATUS_LABEL: Record<KpiStatus, string> = {
  "on-target": "On target",
  close: "Close",
  "off-target": "Off target",
  "no-data": "No data",
};
