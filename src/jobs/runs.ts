import { desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { calculationRuns, type CalculationRunRow, type RunSelection } from "../db/schema/index.js";

export interface NewRun {
  trigger: string;
  selection: RunSelection;
  periodContaining: string | null;
  today: string;
  requestedBy: number | null;
}

export async function createRun(db: Db, run: NewRun): Promise<CalculationRunRow> {
  const [row] = await db.insert(calculationRuns).values(run).returning();
  return row!;
}

export async function findRun(db: Db, id: number): Promise<CalculationRunRow | undefined> {
  const [row] = await db.select().from(calculationRuns).where(eq(calculationRuns.id, id));
  return row;
}

/** Newest first; only those `requestedBy` asked for when given. */
export function listRuns(db: Db, limit: number, requestedBy?: number): Promise<CalculationRunRow[]> {
  return db
    .select()
    .from(calculationRuns)
    .where(requestedBy === undefined ? undefined : eq(calculationRuns.requestedBy, requestedBy))
    .orderBy(desc(calculationRuns.createdAt), desc(calculationRuns.id))
    .limit(limit);
}
