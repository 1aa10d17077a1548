import { sql } from "drizzle-orm";
import type { Tx } from "../db/client.js";

/**
 * Source tables in kpi_source that the demo's QUERY and FORMULA definitions read, with rows for the
 * demo users over the last seven months, so the product design's example queries (resolution time,
 * cases resolved, satisfaction, deals, revenue, conversion, tasks, error rate) run against real rows.
 * Deterministic: the same dates and values for the same user ids.
 */
export async function seedDemoSources(
  tx: Tx,
  users: { support: number[]; sales: number[]; operations: number[] },
): Promise<void> {
  await tx.execute(sql`
    CREATE TABLE IF NOT EXISTS kpi_source.support_cases (id serial PRIMARY KEY, assigned_to int NOT NULL, created_at timestamptz NOT NULL, resolved_at timestamptz);
    CREATE TABLE IF NOT EXISTS kpi_source.ratings (id serial PRIMARY KEY, user_id int NOT NULL, rating int NOT NULL CHECK (rating BETWEEN 1 AND 5), created_at timestamptz NOT NULL);
    CREATE TABLE IF NOT EXISTS kpi_source.deals (id serial PRIMARY KEY, owner_id int NOT NULL, status text NOT NULL, amount numeric(12,2) NOT NULL, closed_at timestamptz);
    CREATE TABLE IF NOT EXISTS kpi_source.leads (id serial PRIMARY KEY, owner_id int NOT NULL, converted boolean NOT NULL, created_at timestamptz NOT NULL);
    CREATE TABLE IF NOT EXISTS kpi_source.tasks (id serial PRIMARY KEY, assignee_id int NOT NULL, due_at timestamptz NOT NULL, completed_at timestamptz,
      estimated_hours numeric(6,2) NOT NULL, spent_hours numeric(6,2), had_error boolean NOT NULL DEFAULT false)`);

  // One row per user and (pseudo-random, by hashing) moment; `g` spreads them over the last 210 days.
  const since = sql`date_trunc('day', now()) - interval '210 days'`;
  const at = (per: number) => sql`${since} + (g * interval '210 days' / ${per})`;
  const noise = (salt: string) => sql`(abs(hashtext(u::text || ':' || g::text || ${salt})) % 1000) / 1000.0`;

  await tx.execute(sql`
    INSERT INTO kpi_source.support_cases (assigned_to, created_at, resolved_at)
    SELECT u, ${at(900)}, ${at(900)} + (8 + 32 * ${noise("r")}) * interval '1 hour'
    FROM unnest(${sql.param(users.support)}::int[]) AS u, generate_series(1, 900) AS g`);
  await tx.execute(sql`
    INSERT INTO kpi_source.ratings (user_id, rating, created_at)
    SELECT u, 1 + floor(4.99 * power(${noise("s")}, 0.25))::int, ${at(400)}
    FROM unnest(${sql.param(users.support)}::int[]) AS u, generate_series(1, 400) AS g`);
  await tx.execute(sql`
    INSERT INTO kpi_source.deals (owner_id, status, amount, closed_at)
    SELECT u, CASE WHEN ${noise("w")} < 0.45 THEN 'won' ELSE 'lost' END, round((1000 + 8000 * ${noise("a")})::numeric, 2), ${at(180)}
    FROM unnest(${sql.param(users.sales)}::int[]) AS u, generate_series(1, 180) AS g`);
  await tx.execute(sql`
    INSERT INTO kpi_source.leads (owner_id, converted, created_at)
    SELECT u, ${noise("c")} < 0.25, ${at(420)}
    FROM unnest(${sql.param(users.sales)}::int[]) AS u, generate_series(1, 420) AS g`);
  await tx.execute(sql`
    INSERT INTO kpi_source.tasks (assignee_id, due_at, completed_at, estimated_hours, spent_hours, had_error)
    SELECT u, ${at(560)} + interval '2 days', ${at(560)} + (1 + 60 * ${noise("d")}) * interval '1 hour',
      round((2 + 6 * ${noise("e")})::numeric, 2), round((2 + 7 * ${noise("t")})::numeric, 2), ${noise("x")} < 0.02
    FROM unnest(${sql.param(users.operations)}::int[]) AS u, generate_series(1, 560) AS g`);
}
