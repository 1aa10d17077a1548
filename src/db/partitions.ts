import { sql } from "drizzle-orm";
import type { DbOrTx } from "./client.js";

/** First day of the month of a "YYYY-MM-DD" date, as a UTC Date. */
function monthStart(date: string): Date {
  const [year, month] = date.split("-").map(Number);
  return new Date(Date.UTC(year!, month! - 1, 1));
}

function addMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function partitionName(month: Date): string {
  return `kpi_measurements_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The months [from, to] inclusive, each as the first day of the month. */
export function monthsBetween(from: string, to: string): Date[] {
  const months: Date[] = [];
  for (let month = monthStart(from); month <= monthStart(to); month = addMonths(month, 1)) months.push(month);
  return months;
}

// An arbitrary constant shared by every process that creates partitions, so two of them never race
// on CREATE TABLE for the same month.
const PARTITION_LOCK_KEY = 727_001;

/**
 * Creates the monthly partitions of kpi_measurements that cover [from, to] (dates "YYYY-MM-DD").
 * Idempotent; callers run it on start for the months around today and before writing measurements
 * of other months (backfills).
 */
export async function ensureMeasurementPartitions(db: DbOrTx, from: string, to: string): Promise<void> {
  const months = monthsBetween(from, to);
  if (months.length === 0) return;
  const existing = await db.execute<{ name: string }>(sql`
    SELECT c.relname AS name FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'kpi_measurements'::regclass`);
  const known = new Set(existing.rows.map((row) => row.name));
  const missing = months.filter((month) => !known.has(partitionName(month)));
  if (missing.length === 0) return;

  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${PARTITION_LOCK_KEY})`);
    for (const month of missing) {
      await tx.execute(
        sql.raw(
          `CREATE TABLE IF NOT EXISTS "${partitionName(month)}" PARTITION OF kpi_measurements ` +
            `FOR VALUES FROM ('${isoDate(month)}') TO ('${isoDate(addMonths(month, 1))}')`,
        ),
      );
    }
  });
}

/** Partitions from `monthsBack` months before `today` to `monthsAhead` months after it. */
export function partitionWindow(today: Date, monthsBack: number, monthsAhead: number): { from: string; to: string } {
  const current = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  return { from: isoDate(addMonths(current, -monthsBack)), to: isoDate(addMonths(current, monthsAhead)) };
}
