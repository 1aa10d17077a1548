import type { TargetTypeValue } from "../db/schema/index.js";
import { round2 } from "./round.js";

/** The largest achievement kpi_measurements.achievement_percentage (numeric(5,2)) can hold. */
export const MAX_ACHIEVEMENT = 999.99;

/**
 * Achievement of an actual value against its target, in percent, rounded to two decimals and
 * bounded to [0, MAX_ACHIEVEMENT]. Never NaN or Infinity:
 * - a missing actual or target gives null (nothing to score);
 * - HIGHER_BETTER: actual / target × 100; a zero target is met (100) by any actual ≥ 0;
 * - LOWER_BETTER: target / actual × 100; an actual of zero (or below) beats any positive target
 *   (MAX_ACHIEVEMENT) and meets a zero target (100);
 * - EXACT: 100 − |actual − target| / |target| × 100, at least 0; with a zero target only an exact
 *   zero scores 100, anything else 0.
 */
export function achievementPercentage(
  targetType: TargetTypeValue,
  actual: number | null | undefined,
  target: number | null | undefined,
): number | null {
  if (actual === null || actual === undefined || target === null || target === undefined) return null;
  if (!Number.isFinite(actual) || !Number.isFinite(target)) return null;
  let percentage: number;
  switch (targetType) {
    case "higher_better":
      percentage = target === 0 ? (actual >= 0 ? 100 : 0) : (actual / target) * 100;
      break;
    case "lower_better":
      percentage = actual <= 0 ? (target > 0 ? MAX_ACHIEVEMENT : 100) : (target / actual) * 100;
      break;
    case "exact":
      percentage = target === 0 ? (actual === 0 ? 100 : 0) : 100 - (Math.abs(actual - target) / Math.abs(target)) * 100;
      break;
  }
  return round2(Math.min(MAX_ACHIEVEMENT, Math.max(0, percentage)));
}
