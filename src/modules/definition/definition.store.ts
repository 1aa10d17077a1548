import { and, asc, eq, type SQL } from "drizzle-orm";
import { anyOf } from "../../db/any-of.js";
import type { DbOrTx } from "../../db/client.js";
import {
  kpiDefinitions,
  kpiMeasurements,
  userKpis,
  type CalculationTypeValue,
  type KpiDefinitionRow,
} from "../../db/schema/index.js";
import { kpiInputIds } from "../../engine/formula/kpi-inputs.js";

export async function findDefinition(db: DbOrTx, id: number): Promise<KpiDefinitionRow | undefined> {
  const [row] = await db.select().from(kpiDefinitions).where(eq(kpiDefinitions.id, id));
  return row;
}

export function definitionsByIds(db: DbOrTx, ids: readonly number[]): Promise<KpiDefinitionRow[]> {
  return db.select().from(kpiDefinitions).where(anyOf(kpiDefinitions.id, ids));
}

export interface DefinitionQuery {
  category?: string;
  calculationType?: CalculationTypeValue;
  isActive?: boolean;
}

export function listDefinitions(db: DbOrTx, query: DefinitionQuery): Promise<KpiDefinitionRow[]> {
  const conditions: SQL[] = [];
  if (query.category !== undefined) conditions.push(eq(kpiDefinitions.category, query.category));
  if (query.calculationType) conditions.push(eq(kpiDefinitions.calculationType, query.calculationType));
  if (query.isActive !== undefined) conditions.push(eq(kpiDefinitions.isActive, query.isActive));
  return db
    .select()
    .from(kpiDefinitions)
    .where(and(...conditions))
    .orderBy(asc(kpiDefinitions.category), asc(kpiDefinitions.name), asc(kpiDefinitions.id));
}

export async function hasMeasurements(db: DbOrTx, definitionId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: kpiMeasurements.id })
    .from(kpiMeasurements)
    .innerJoin(userKpis, eq(userKpis.id, kpiMeasurements.userKpiId))
    .where(eq(userKpis.kpiDefinitionId, definitionId))
    .limit(1);
  return row !== undefined;
}

/** Active formula definitions and the definition ids of their `kpi` inputs. */
export async function formulaGraph(db: DbOrTx): Promise<Map<number, number[]>> {
  const rows = await db
    .select({ id: kpiDefinitions.id, dataSource: kpiDefinitions.dataSource })
    .from(kpiDefinitions)
    .where(and(eq(kpiDefinitions.calculationType, "formula"), eq(kpiDefinitions.isActive, true)));
  return new Map(rows.map((row) => [row.id, kpiInputIds(row.dataSource)]));
}

export async function existingDefinitionIds(db: DbOrTx, ids: number[]): Promise<Set<number>> {
  const rows = await db.select({ id: kpiDefinitions.id }).from(kpiDefinitions).where(anyOf(kpiDefinitions.id, ids));
  return new Set(rows.map((row) => row.id));
}

type NewDefinitionRow = typeof kpiDefinitions.$inferInsert;

export async function insertDefinition(tx: DbOrTx, values: NewDefinitionRow): Promise<KpiDefinitionRow> {
  const [definition] = await tx.insert(kpiDefinitions).values(values).returning();
  return definition!;
}

export async function updateDefinition(tx: DbOrTx, id: number, changes: Partial<NewDefinitionRow>): Promise<KpiDefinitionRow> {
  const [after] = await tx.update(kpiDefinitions).set(changes).where(eq(kpiDefinitions.id, id)).returning();
  return after!;
}
