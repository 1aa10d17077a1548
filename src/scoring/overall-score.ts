import { round2 } from "./round.js";

/** One assignment's part in an overall score: its weight and the achievement of its latest measured period. */
export interface ScoredKpi {
  weight: number;
  achievement: number | null;
}

/**
 * Weighted average of achievements, each capped at `cap` so that one outlier cannot carry the
 * score. Weights are normalised by the sum of the weights of the KPIs that have an achievement, so
 * weights need not add up to 100 and an unmeasured KPI neither helps nor hurts. Null when nothing
 * is measured or every measured KPI has weight 0.
 */
export function overallScore(kpis: readonly ScoredKpi[], cap: number): number | null {
  let weighted = 0;
  let totalWeight = 0;
  for (const { weight, achievement } of kpis) {
    if (achievement === null || !Number.isFinite(achievement) || !(weight > 0)) continue;
    weighted += weight * Math.min(Math.max(achievement, 0), cap);
    totalWeight += weight;
  }
  return totalWeight > 0 ? round2(weighted / totalWeight) : null;
}
