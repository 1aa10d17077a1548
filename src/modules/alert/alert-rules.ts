import type { AlertKindValue } from "../../db/schema/index.js";
import { badInput } from "../../lib/errors.js";
import { RULE_DEFAULTS } from "./alert-evaluator.js";

export interface RuleFields {
  threshold?: number | null;
  periods?: number | null;
  graceDays?: number | null;
  category?: string | null;
  kpiDefinitionId?: number | null;
}

export interface ValidRule {
  threshold: number | null;
  periods: number | null;
  graceDays: number | null;
  category: string | null;
  kpiDefinitionId: number | null;
}

const inRange = (value: number, min: number, max: number) => Number.isFinite(value) && value >= min && value <= max;

/**
 * A rule's settings as its kind reads them, with the defaults filled in; a setting the kind does not
 * use is refused rather than silently ignored.
 */
export function validateRule(kind: AlertKindValue, fields: RuleFields): ValidRule {
  const category = fields.category?.trim() || null;
  const kpiDefinitionId = fields.kpiDefinitionId ?? null;
  if (category !== null && kpiDefinitionId !== null) throw badInput("category", "give a category or a kpiDefinitionId, not both");
  const unused = (field: keyof RuleFields, why: string) => {
    if (fields[field] != null) throw badInput(field, `${kind.toUpperCase()} rules have no ${field}: ${why}`);
  };
  switch (kind) {
    case "below_target": {
      unused("graceDays", "they judge completed periods");
      const threshold = fields.threshold ?? RULE_DEFAULTS.below_target.threshold;
      const periods = fields.periods ?? RULE_DEFAULTS.below_target.periods;
      if (!inRange(threshold, 0.01, 999.99)) throw badInput("threshold", "must be an achievement between 0.01 and 999.99 (%)");
      if (!Number.isInteger(periods) || !inRange(periods, 1, 24))
        throw badInput("periods", "must be a whole number from 1 to 24");
      return { threshold, periods, graceDays: null, category, kpiDefinitionId };
    }
    case "missing_measurement": {
      unused("threshold", "a period either has a value or not");
      unused("periods", "each ended period is judged on its own");
      const graceDays = fields.graceDays ?? RULE_DEFAULTS.missing_measurement.graceDays;
      if (!Number.isInteger(graceDays) || !inRange(graceDays, 0, 90))
        throw badInput("graceDays", "must be a whole number from 0 to 90");
      return { threshold: null, periods: null, graceDays, category, kpiDefinitionId };
    }
    case "score_drop": {
      unused("periods", "they compare the two latest snapshots");
      unused("graceDays", "they compare the two latest snapshots");
      if (category !== null || kpiDefinitionId !== null) {
        throw badInput(
          category !== null ? "category" : "kpiDefinitionId",
          "SCORE_DROP rules watch the overall score, not one KPI",
        );
      }
      const threshold = fields.threshold ?? RULE_DEFAULTS.score_drop.threshold;
      if (!inRange(threshold, 0.01, 100)) throw badInput("threshold", "must be a number of points between 0.01 and 100");
      return { threshold, periods: null, graceDays: null, category: null, kpiDefinitionId: null };
    }
  }
}
