import { eq } from "drizzle-orm";
import type pg from "pg";
import type { Db } from "../../db/client.js";
import { assignmentActive, overlapsPeriod } from "../../db/conditions.js";
import { aggregationPeriod, alertRules, type AlertRuleRow } from "../../db/schema/index.js";
import { addDays, latestCompletedPeriod, shiftPeriod } from "../../scoring/periods.js";

/** Rule defaults, as the product design states them. */
export const RULE_DEFAULTS = {
  below_target: { threshold: 80, periods: 3 },
  missing_measurement: { graceDays: 0 },
  score_drop: { threshold: 10 },
} as const;

/** The rules an evaluation judges. */
export function activeRules(db: Db): Promise<AlertRuleRow[]> {
  return db.select().from(alertRules).where(eq(alertRules.isActive, true));
}

export interface Evaluation {
  raised: number[];
  resolved: number[];
}

/**
 * Evaluates one rule for every user (or the given ones) in one statement: raises an alert where the
 * condition holds and none is open for it (the partial unique index makes that atomic, so two
 * evaluations at once raise one alert), and resolves the open ones whose condition has cleared.
 */
export async function evaluateRule(
  pool: pg.Pool,
  rule: AlertRuleRow,
  today: string,
  userIds: readonly number[] | null,
): Promise<Evaluation> {
  switch (rule.kind) {
    case "below_target":
      return belowTarget(pool, rule, today, userIds);
    case "missing_measurement":
      return missingMeasurement(pool, rule, today, userIds);
    case "score_drop":
      return scoreDrop(pool, rule, today, userIds);
  }
}

const SCOPED_ASSIGNMENTS = `
  SELECT uk.id AS user_kpi_id, uk.user_id, kd.name, w.*
  FROM user_kpis uk
  JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
  JOIN users u ON u.id = uk.user_id
  JOIN windows w ON w.aggregation = kd.aggregation_period
  WHERE ${assignmentActive("uk", "kd", "u")} AND ${overlapsPeriod("uk", "w.latest_start", "w.latest_end")}
    AND ($category::text IS NULL OR kd.category = $category::text)
    AND ($definition::int IS NULL OR kd.id = $definition::int)
    AND ($users::int[] IS NULL OR uk.user_id = ANY($users::int[]))`;

/** Numbered parameters from named ones, so the shared SQL above reads as it means. */
function named(sql: string, values: Record<string, unknown>): { text: string; values: unknown[] } {
  const names = Object.keys(values);
  return {
    text: sql.replace(/\$([a-z_]+)/gi, (match, name: string) => (names.includes(name) ? `$${names.indexOf(name) + 1}` : match)),
    values: Object.values(values),
  };
}

/** A condition that already has an open or acknowledged alert raises nothing (alerts_active_unique). */
const ONE_ACTIVE_ALERT = `ON CONFLICT (rule_id, user_id, coalesce(user_kpi_id, 0)) WHERE status <> 'resolved' DO NOTHING`;

const OUTCOME = `SELECT coalesce((SELECT array_agg(id) FROM raised), '{}') AS raised, coalesce((SELECT array_agg(id) FROM resolved), '{}') AS resolved`;

/** Each period kind's window: its `periods` latest completed periods by today. */
function windows(today: string, periods: number) {
  const latest = aggregationPeriod.enumValues.map((aggregation) => latestCompletedPeriod(aggregation, today));
  return {
    aggregations: aggregationPeriod.enumValues,
    firsts: aggregationPeriod.enumValues.map((aggregation, i) => shiftPeriod(aggregation, latest[i]!, -(periods - 1)).start),
    latestStarts: latest.map((period) => period.start),
    latestEnds: latest.map((period) => period.end),
  };
}

/** The parameters WINDOWS and SCOPED_ASSIGNMENTS read. */
function scopeParameters(w: ReturnType<typeof windows>, rule: AlertRuleRow, userIds: readonly number[] | null) {
  return {
    aggregations: w.aggregations,
    firsts: w.firsts,
    latest_starts: w.latestStarts,
    latest_ends: w.latestEnds,
    category: rule.category,
    definition: rule.kpiDefinitionId,
    users: userIds,
  };
}

const WINDOWS = `windows AS (
  SELECT * FROM unnest($aggregations::aggregation_period[], $firsts::date[], $latest_starts::date[], $latest_ends::date[])
    AS w(aggregation, first_start, latest_start, latest_end)
)`;

async function belowTarget(pool: pg.Pool, rule: AlertRuleRow, today: string, userIds: readonly number[] | null) {
  const threshold = rule.threshold ?? RULE_DEFAULTS.below_target.threshold;
  const periods = rule.periods ?? RULE_DEFAULTS.below_target.periods;
  const w = windows(today, periods);
  const query = named(
    `WITH ${WINDOWS},
     scoped AS (${SCOPED_ASSIGNMENTS}),
     judged AS (
       SELECT s.user_kpi_id, s.user_id, s.name, s.first_start,
         count(*) FILTER (WHERE m.achievement_percentage < $threshold::numeric) AS below,
         bool_or(m.period_start = s.latest_start AND m.achievement_percentage >= $threshold::numeric) AS latest_met,
         jsonb_agg(jsonb_build_object('periodStart', m.period_start, 'achievement', m.achievement_percentage::float8)
           ORDER BY m.period_start) FILTER (WHERE m.user_kpi_id IS NOT NULL) AS achievements
       FROM scoped s
       LEFT JOIN kpi_measurements m ON m.user_kpi_id = s.user_kpi_id AND m.period_start BETWEEN s.first_start AND s.latest_start
       GROUP BY s.user_kpi_id, s.user_id, s.name, s.first_start
     ),
     raised AS (
       INSERT INTO alerts (rule_id, user_id, user_kpi_id, period_start, message, details)
       SELECT $rule, user_id, user_kpi_id, first_start,
         format('%s: achievement below %s%% for %s periods in a row', name, $threshold::numeric::float8, $periods::int),
         jsonb_build_object('threshold', $threshold::numeric::float8, 'periods', $periods::int, 'achievements', achievements)
       FROM judged WHERE below = $periods::int
       ${ONE_ACTIVE_ALERT}
       RETURNING id
     ),
     resolved AS (
       UPDATE alerts a SET status = 'resolved', resolved_at = now()
       FROM judged j
       WHERE a.rule_id = $rule AND a.user_kpi_id = j.user_kpi_id AND a.status <> 'resolved' AND j.latest_met
       RETURNING a.id
     )
     ${OUTCOME}`,
    { ...scopeParameters(w, rule, userIds), threshold, periods, rule: rule.id },
  );
  return outcome(await pool.query(query.text, query.values));
}

async function missingMeasurement(pool: pg.Pool, rule: AlertRuleRow, today: string, userIds: readonly number[] | null) {
  // The period judged is the latest one that ended graceDays ago or earlier: entries often come a day or two late.
  const w = windows(addDays(today, -(rule.graceDays ?? RULE_DEFAULTS.missing_measurement.graceDays)), 1);
  const query = named(
    `WITH ${WINDOWS},
     scoped AS (${SCOPED_ASSIGNMENTS}),
     judged AS (
       SELECT s.user_kpi_id, s.user_id, s.name, s.latest_start, s.latest_end,
         EXISTS (SELECT 1 FROM kpi_measurements m WHERE m.user_kpi_id = s.user_kpi_id AND m.period_start = s.latest_start) AS measured
       FROM scoped s
     ),
     raised AS (
       INSERT INTO alerts (rule_id, user_id, user_kpi_id, period_start, message, details)
       SELECT $rule, user_id, user_kpi_id, latest_start,
         format('%s: no value for the period %s to %s', name, latest_start, latest_end),
         jsonb_build_object('periodStart', latest_start, 'periodEnd', latest_end)
       FROM judged WHERE NOT measured
       ${ONE_ACTIVE_ALERT}
       RETURNING id
     ),
     resolved AS (
       UPDATE alerts a SET status = 'resolved', resolved_at = now()
       FROM judged j
       WHERE a.rule_id = $rule AND a.user_kpi_id = j.user_kpi_id AND a.status <> 'resolved' AND j.measured
       RETURNING a.id
     )
     ${OUTCOME}`,
    { ...scopeParameters(w, rule, userIds), rule: rule.id },
  );
  return outcome(await pool.query(query.text, query.values));
}

/** Snapshots older than this are not compared: a user without recent ones has no current score. */
const SNAPSHOT_LOOKBACK_DAYS = 62;

async function scoreDrop(pool: pg.Pool, rule: AlertRuleRow, today: string, userIds: readonly number[] | null) {
  const threshold = rule.threshold ?? RULE_DEFAULTS.score_drop.threshold;
  const query = named(
    `WITH recent AS (
       SELECT s.user_id, s.snapshot_date, s.overall_score,
         row_number() OVER (PARTITION BY s.user_id ORDER BY s.snapshot_date DESC) AS rank
       FROM kpi_snapshots s JOIN users u ON u.id = s.user_id AND u.is_active
       WHERE s.snapshot_date > $since::date AND s.snapshot_date <= $today::date
         AND ($users::int[] IS NULL OR s.user_id = ANY($users::int[]))
     ),
     judged AS (
       SELECT l.user_id, l.snapshot_date, l.overall_score AS latest, p.overall_score AS previous, p.snapshot_date AS previous_date,
         coalesce(p.overall_score - l.overall_score > $threshold::numeric, false) AS dropped
       FROM recent l JOIN recent p ON p.user_id = l.user_id AND p.rank = 2
       WHERE l.rank = 1
     ),
     raised AS (
       INSERT INTO alerts (rule_id, user_id, user_kpi_id, period_start, message, details)
       SELECT $rule, user_id, NULL, snapshot_date,
         format('Overall score fell from %s to %s (more than %s points)', previous, latest, $threshold::numeric::float8),
         jsonb_build_object('previous', previous::float8, 'previousDate', previous_date, 'latest', latest::float8, 'threshold', $threshold::numeric::float8)
       FROM judged WHERE dropped
       ${ONE_ACTIVE_ALERT}
       RETURNING id
     ),
     resolved AS (
       UPDATE alerts a SET status = 'resolved', resolved_at = now()
       FROM judged j
       WHERE a.rule_id = $rule AND a.user_id = j.user_id AND a.user_kpi_id IS NULL AND a.status <> 'resolved'
         AND NOT j.dropped
       RETURNING a.id
     )
     ${OUTCOME}`,
    { since: addDays(today, -SNAPSHOT_LOOKBACK_DAYS), today, users: userIds, threshold, rule: rule.id },
  );
  return outcome(await pool.query(query.text, query.values));
}

function outcome(result: pg.QueryResult): Evaluation {
  const row = result.rows[0] as { raised: number[]; resolved: number[] };
  return { raised: row.raised, resolved: row.resolved };
}
