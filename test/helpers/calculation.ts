import { randomBytes } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { kpiDefinitions, kpiMeasurements, userKpis, type KpiDefinitionRow, type UserKpiRow } from "../../src/db/schema/index.js";
import { latestCompletedPeriod, shiftPeriod, todayIn, type Period } from "../../src/scoring/periods.js";
import { buildDefinition, unique } from "./factories.js";
import type { GraphQLResponse, TestServer } from "./server.js";

/**
 * Helpers for the calculation engine's tests: source tables of their own in kpi_source, definitions
 * saved over GraphQL or written straight to the database (bypassing the save-time checks), and the
 * periods relative to the server's today (UTC by default).
 */

/** A table name unique to one test run: test files share the database and its kpi_source schema. */
export const sourceTable = (label: string) => `${label}_${randomBytes(4).toString("hex")}`;

/** The last complete month by the server's today, and `n` months before it. */
export const lastMonth = (): Period => latestCompletedPeriod("monthly", todayIn("UTC"));
export const monthsBefore = (n: number): Period => shiftPeriod("monthly", lastMonth(), -n);

/** An instant `hours` after midnight UTC of a calendar date, as timestamptz text. */
export const at = (date: string, hours = 0) => new Date(Date.parse(`${date}T00:00:00Z`) + hours * 3_600_000).toISOString();

export const MEASUREMENT_FIELDS =
  "id periodStart periodEnd actualValue targetValue achievementPercentage calculatedAt calculatedBy { id }";
export const CREATE = `mutation($input: CreateKpiDefinitionInput!) { createKpiDefinition(input: $input) { id name dataSource } }`;
export const UPDATE = `mutation($id: ID!, $input: UpdateKpiDefinitionInput!) { updateKpiDefinition(id: $id, input: $input) { id dataSource } }`;
export const CALCULATE = `mutation($userKpiId: ID!, $periodContaining: Date) {
  calculateUserKpi(userKpiId: $userKpiId, periodContaining: $periodContaining) { ${MEASUREMENT_FIELDS} calculationMetadata }
}`;
/** Without calculationMetadata, which only admins may read. */
export const CALCULATE_PLAIN = `mutation($userKpiId: ID!, $periodContaining: Date) {
  calculateUserKpi(userKpiId: $userKpiId, periodContaining: $periodContaining) { ${MEASUREMENT_FIELDS} }
}`;
export const PREVIEW = `mutation($input: CreateKpiDefinitionInput!, $userId: ID!, $periodContaining: Date) {
  previewKpiDefinition(input: $input, userId: $userId, periodContaining: $periodContaining) { outcome value reason periodStart periodEnd metadata }
}`;
export const RECORD = `mutation($userKpiId: ID!, $input: RecordMeasurementInput!) { recordMeasurement(userKpiId: $userKpiId, input: $input) { id actualValue } }`;

/** The input of createKpiDefinition for a monthly definition with a fresh name. */
export const definitionInput = (calculationType: string, dataSource: unknown, overrides: Record<string, unknown> = {}) => ({
  name: unique(`KPI ${calculationType.toLowerCase()}`),
  category: "calculation",
  calculationType,
  dataSource,
  unit: "count",
  aggregationPeriod: "MONTHLY",
  targetType: "HIGHER_BETTER",
  ...overrides,
});

export const databaseSource = (query: string) => ({ type: "database", query });

export class CalculationWorld {
  constructor(
    readonly server: TestServer,
    private readonly admin: string,
  ) {}

  private get db() {
    return this.server.database.db;
  }

  /** Runs SQL of the test itself (not of a definition) as the server's own database user. */
  sql(text: string, values: unknown[] = []) {
    return this.server.database.pool.query(text, values);
  }

  async rowCount(table: string): Promise<number> {
    const result = await this.sql(`SELECT count(*)::int AS n FROM kpi_source.${table}`);
    return result.rows[0].n;
  }

  /** Saves a definition over GraphQL as admin, expecting success. */
  async create(
    calculationType: string,
    dataSource: unknown,
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: string; name: string; dataSource: Record<string, unknown> }> {
    const res = await this.server.gql(CREATE, { input: definitionInput(calculationType, dataSource, overrides) }, this.admin);
    if (res.errors) throw new Error(`createKpiDefinition failed: ${JSON.stringify(res.errors)}`);
    return res.data!.createKpiDefinition;
  }

  /** Writes a definition straight to the database, so the save-time checks never see it. */
  insertDefinition(values: Partial<typeof kpiDefinitions.$inferInsert>): Promise<KpiDefinitionRow> {
    return buildDefinition(this.db, values);
  }

  /** Assigns a definition over GraphQL as admin (target 5, from `startDate`). */
  async assign(
    userId: number,
    kpiDefinitionId: number | string,
    startDate = monthsBefore(12).start,
    targetValue = 5,
  ): Promise<string> {
    const res = await this.server.gql(
      `mutation($userId: ID!, $input: AssignKpiInput!) { assignKpi(userId: $userId, input: $input) { id } }`,
      { userId: String(userId), input: { kpiDefinitionId: String(kpiDefinitionId), targetValue, weight: 50, startDate } },
      this.admin,
    );
    if (res.errors) throw new Error(`assignKpi failed: ${JSON.stringify(res.errors)}`);
    return res.data!.assignKpi.id;
  }

  calculate(userKpiId: string | number, periodContaining?: string, token: string | null = this.admin): Promise<GraphQLResponse> {
    return this.server.gql(
      token === this.admin ? CALCULATE : CALCULATE_PLAIN,
      { userKpiId: String(userKpiId), periodContaining },
      token,
    );
  }

  measurementsOf(userKpiId: string | number) {
    return this.db
      .select()
      .from(kpiMeasurements)
      .where(eq(kpiMeasurements.userKpiId, Number(userKpiId)))
      .orderBy(kpiMeasurements.periodStart);
  }

  async definitionsNamed(name: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(kpiDefinitions).where(eq(kpiDefinitions.name, name));
    return row!.n;
  }

  async definitionById(id: number | string): Promise<KpiDefinitionRow | undefined> {
    const [row] = await this.db
      .select()
      .from(kpiDefinitions)
      .where(eq(kpiDefinitions.id, Number(id)));
    return row;
  }

  async assignmentById(id: number | string): Promise<UserKpiRow> {
    const [row] = await this.db
      .select()
      .from(userKpis)
      .where(eq(userKpis.id, Number(id)));
    return row!;
  }
}

/** The code, field and message of a response's only error, and that nothing came back. */
export function onlyError(res: GraphQLResponse, field: string) {
  if (res.data?.[field] != null) throw new Error(`expected ${field} to fail, got ${JSON.stringify(res.data[field])}`);
  if (res.errors?.length !== 1) throw new Error(`expected one error, got ${JSON.stringify(res.errors)}`);
  const [error] = res.errors;
  return { code: error!.extensions?.code, field: error!.extensions?.field, message: error!.message };
}
