import type pg from "pg";

/**
 * Who hears of newly raised alerts: for each team of the alert's user, its manager by e-mail, the
 * team's extra addresses, and its webhook. One delivery per (alert, channel, target), whatever
 * the number of teams naming it. Returns the deliveries to send.
 */
export async function planDeliveries(pool: pg.Pool, alertIds: readonly number[], withEmail: boolean): Promise<number[]> {
  if (alertIds.length === 0) return [];
  const { rows } = await pool.query<{ id: number }>(
    `WITH teams_of AS (
       SELECT a.id AS alert_id, t.id AS team_id, t.manager_id
       FROM alerts a JOIN team_members tm ON tm.user_id = a.user_id JOIN teams t ON t.id = tm.team_id
       WHERE a.id = ANY($1::int[])
     ),
     targets AS (
       SELECT o.alert_id, 'email' AS channel, u.email AS target, NULL::int AS team_id
       FROM teams_of o JOIN users u ON u.id = o.manager_id AND u.is_active
       WHERE $2::boolean
       UNION
       SELECT o.alert_id, 'email', unnest(s.emails), NULL::int
       FROM teams_of o JOIN team_notification_settings s ON s.team_id = o.team_id
       WHERE $2::boolean
       UNION
       SELECT DISTINCT ON (o.alert_id, s.webhook_url) o.alert_id, 'webhook', s.webhook_url, o.team_id
       FROM teams_of o JOIN team_notification_settings s ON s.team_id = o.team_id
       WHERE s.webhook_url IS NOT NULL
     )
     INSERT INTO alert_deliveries (alert_id, channel, target, team_id)
     SELECT alert_id, channel, target, team_id FROM targets
     ON CONFLICT (alert_id, channel, target) DO NOTHING
     RETURNING id`,
    [alertIds, withEmail],
  );
  return rows.map((row) => row.id);
}

/** What a notification says: the alert with its rule, user and KPI. */
export interface AlertNotice {
  deliveryId: number;
  channel: "email" | "webhook";
  target: string;
  attempts: number;
  status: string;
  webhookSecret: string | null;
  alert: {
    id: number;
    status: string;
    kind: string;
    rule: { id: number; name: string };
    user: { id: number; name: string; email: string };
    kpi: { userKpiId: number; kpiDefinitionId: number; name: string } | null;
    periodStart: string;
    message: string;
    details: Record<string, unknown>;
    raisedAt: string;
  };
}

export async function findNotice(pool: pg.Pool, deliveryId: number): Promise<AlertNotice | undefined> {
  const { rows } = await pool.query<AlertNotice>(
    `SELECT d.id AS "deliveryId", d.channel, d.target, d.attempts, d.status, s.webhook_secret AS "webhookSecret",
       jsonb_build_object(
         'id', a.id, 'status', a.status, 'kind', r.kind,
         'rule', jsonb_build_object('id', r.id, 'name', r.name),
         'user', jsonb_build_object('id', u.id, 'name', u.name, 'email', u.email),
         'kpi', CASE WHEN uk.id IS NULL THEN NULL ELSE jsonb_build_object('userKpiId', uk.id, 'kpiDefinitionId', kd.id, 'name', kd.name) END,
         'periodStart', a.period_start, 'message', a.message, 'details', a.details, 'raisedAt', a.raised_at
       ) AS alert
     FROM alert_deliveries d
     JOIN alerts a ON a.id = d.alert_id
     JOIN alert_rules r ON r.id = a.rule_id
     JOIN users u ON u.id = a.user_id
     LEFT JOIN user_kpis uk ON uk.id = a.user_kpi_id
     LEFT JOIN kpi_definitions kd ON kd.id = uk.kpi_definition_id
     LEFT JOIN team_notification_settings s ON s.team_id = d.team_id
     WHERE d.id = $1`,
    [deliveryId],
  );
  return rows[0];
}

export async function recordAttempt(pool: pg.Pool, deliveryId: number, error: string | null, final: boolean): Promise<void> {
  await pool.query(
    `UPDATE alert_deliveries SET attempts = attempts + 1,
       status = CASE WHEN $2::text IS NULL THEN 'sent'::delivery_status WHEN $3 THEN 'failed' ELSE 'pending' END,
       last_error = $2, sent_at = CASE WHEN $2::text IS NULL THEN now() END
     WHERE id = $1`,
    [deliveryId, error, final],
  );
}

/** The teams whose members the alerts are about: each team's subscribers hear of them. */
export async function teamsOfAlerts(pool: pg.Pool, alertIds: readonly number[]): Promise<{ alertId: number; teamId: number }[]> {
  const { rows } = await pool.query<{ alertId: number; teamId: number }>(
    `SELECT a.id AS "alertId", tm.team_id AS "teamId" FROM alerts a JOIN team_members tm ON tm.user_id = a.user_id
     WHERE a.id = ANY($1::int[]) ORDER BY a.id, tm.team_id`,
    [alertIds],
  );
  return rows;
}
