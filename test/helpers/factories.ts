import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { generateApiKey } from "../../src/auth/api-key-token.js";
import type { Db } from "../../src/db/client.js";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import {
  alertRules,
  alerts,
  apiKeys,
  calculationRuns,
  kpiDefinitions,
  kpiMeasurements,
  kpiSnapshots,
  teamMembers,
  teams,
  userExternalIds,
  userKpis,
  users,
  type AlertRow,
  type AlertRuleRow,
  type ApiKeyRow,
  type CalculationRunRow,
  type KpiDefinitionRow,
  type KpiMeasurementRow,
  type KpiSnapshotRow,
  type TeamRow,
  type UserKpiRow,
  type UserRole,
  type UserRow,
} from "../../src/db/schema/index.js";
import { achievementPercentage } from "../../src/scoring/achievement.js";
import { latestCompletedPeriod, periodContaining, todayIn } from "../../src/scoring/periods.js";

/**
 * Rows written straight to the database, as in Outline's server/test/factories.ts: each factory
 * takes the parents it needs (a row, or just `{ id }`) and creates those it is not given, fills the
 * rest with defaults, and returns the inserted row. Raw inserts stay only where a test writes a
 * malformed row on purpose, tests the SQL itself, or writes many rows in one statement.
 */

/** Unique per call across parallel test files, so tests sharing one database never collide. */
export const unique = (label = "x") => `${label}-${randomUUID().slice(0, 8)}`;

type Ref = { id: number };

/** `value` unless it is undefined: an explicit null stays null. */
const given = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);

export async function buildUser(
  db: Db,
  overrides: Partial<{ name: string; email: string; role: UserRole; isActive: boolean }> = {},
): Promise<UserRow> {
  const [user] = await db
    .insert(users)
    .values({
      name: overrides.name ?? unique("User"),
      email: overrides.email ?? `${unique("user")}@test.example`,
      role: overrides.role ?? "user",
      isActive: overrides.isActive ?? true,
    })
    .returning();
  return user!;
}

export async function buildTeam(
  db: Db,
  options: { manager?: UserRow | null; members?: UserRow[]; name?: string } = {},
): Promise<TeamRow> {
  const manager = options.manager === undefined ? await buildUser(db, { role: "manager" }) : options.manager;
  const [team] = await db
    .insert(teams)
    .values({ name: options.name ?? unique("Team"), managerId: manager?.id ?? null })
    .returning();
  if (options.members?.length) {
    await db.insert(teamMembers).values(options.members.map((member) => ({ teamId: team!.id, userId: member.id })));
  }
  return team!;
}

/** Adds `user` (a new one when absent) to `team` (a new one, with a new manager, when absent). */
export async function buildTeamMember(
  db: Db,
  options: { team?: Ref; user?: Ref } = {},
): Promise<typeof teamMembers.$inferSelect> {
  const team = options.team ?? (await buildTeam(db));
  const user = options.user ?? (await buildUser(db));
  const [row] = await db.insert(teamMembers).values({ teamId: team.id, userId: user.id }).returning();
  return row!;
}

/** A MANUAL monthly definition (range 0..10, higher is better) with a fresh name. */
export async function buildDefinition(
  db: Db,
  overrides: Partial<typeof kpiDefinitions.$inferInsert> = {},
): Promise<KpiDefinitionRow> {
  const [definition] = await db
    .insert(kpiDefinitions)
    .values({
      name: unique("KPI"),
      category: "testing",
      calculationType: "manual",
      dataSource: { type: "manual", allowed_range: { min: 0, max: 10 } },
      unit: "score",
      aggregationPeriod: "monthly",
      targetType: "higher_better",
      ...overrides,
    })
    .returning();
  return definition!;
}

/** A user's account at a provider, as the calculation adapters look it up (:external_id.<provider>). */
export async function buildExternalId(
  db: Db,
  options: { user?: Ref; provider?: string; externalId?: string } = {},
): Promise<typeof userExternalIds.$inferSelect> {
  const user = options.user ?? (await buildUser(db));
  const [row] = await db
    .insert(userExternalIds)
    .values({ userId: user.id, provider: options.provider ?? "intercom", externalId: options.externalId ?? unique("ext") })
    .returning();
  return row!;
}

export interface AssignmentOptions {
  user?: Ref;
  definition?: Ref;
  targetValue?: number;
  weight?: number;
  startDate?: string;
  endDate?: string | null;
  isActive?: boolean;
  assignedBy?: Ref | null;
}

/**
 * An assignment of `definition` to `user`, each created when absent: target 100, weight 50, from
 * 2020-01-01 and ongoing, active.
 */
export async function buildAssignment(db: Db, options: AssignmentOptions = {}): Promise<UserKpiRow> {
  const user = options.user ?? (await buildUser(db));
  const definition = options.definition ?? (await buildDefinition(db));
  const [row] = await db
    .insert(userKpis)
    .values({
      userId: user.id,
      kpiDefinitionId: definition.id,
      targetValue: options.targetValue ?? 100,
      weight: options.weight ?? 50,
      startDate: options.startDate ?? "2020-01-01",
      endDate: options.endDate ?? null,
      isActive: options.isActive ?? true,
      assignedBy: options.assignedBy?.id ?? null,
    })
    .returning();
  return row!;
}

export interface MeasurementOptions {
  assignment?: UserKpiRow;
  user?: Ref;
  definition?: Ref;
  periodStart?: string;
  periodEnd?: string;
  /** By default the target: an achievement of 100 % for a higher-is-better definition. */
  actualValue?: number | null;
  targetValue?: number | null;
  achievementPercentage?: number | null;
  calculationMetadata?: Record<string, unknown> | null;
  calculatedAt?: Date;
  calculatedBy?: Ref | null;
  notes?: string | null;
}

/**
 * A measurement of `assignment` (created, for `user` and `definition` when given, when absent),
 * filled in as the server stores one: the period is one of the definition's aggregation period
 * (by default the latest completed one, today in UTC), the target is the assignment's, and the
 * achievement is that of the actual value against it for the definition's target type. Any of
 * them given, even null, is stored as given. Creates the month's partition when missing.
 */
export async function buildMeasurement(db: Db, options: MeasurementOptions = {}): Promise<KpiMeasurementRow> {
  const assignment = options.assignment ?? (await buildAssignment(db, { user: options.user, definition: options.definition }));
  const [definition] = await db
    .select({ aggregationPeriod: kpiDefinitions.aggregationPeriod, targetType: kpiDefinitions.targetType })
    .from(kpiDefinitions)
    .where(eq(kpiDefinitions.id, assignment.kpiDefinitionId));
  const periodStart = options.periodStart ?? latestCompletedPeriod(definition!.aggregationPeriod, todayIn("UTC")).start;
  const periodEnd = options.periodEnd ?? periodContaining(definition!.aggregationPeriod, periodStart).end;
  const targetValue = given(options.targetValue, assignment.targetValue);
  const actualValue = given(options.actualValue, targetValue);
  await ensureMeasurementPartitions(db, periodStart, periodStart);
  const [row] = await db
    .insert(kpiMeasurements)
    .values({
      userKpiId: assignment.id,
      periodStart,
      periodEnd,
      actualValue,
      targetValue,
      achievementPercentage: given(
        options.achievementPercentage,
        achievementPercentage(definition!.targetType, actualValue, targetValue),
      ),
      calculationMetadata: options.calculationMetadata ?? null,
      calculatedAt: options.calculatedAt,
      calculatedBy: options.calculatedBy?.id ?? null,
      notes: options.notes ?? null,
    })
    .returning();
  return row!;
}

/** A snapshot of `user`'s (a new one when absent) overall score, dated today in UTC by default. */
export async function buildSnapshot(
  db: Db,
  options: { user?: Ref; snapshotDate?: string; overallScore?: number | null; kpiScores?: Record<string, unknown> } = {},
): Promise<KpiSnapshotRow> {
  const user = options.user ?? (await buildUser(db));
  const [row] = await db
    .insert(kpiSnapshots)
    .values({
      userId: user.id,
      snapshotDate: options.snapshotDate ?? todayIn("UTC"),
      overallScore: given(options.overallScore, 80),
      kpiScores: options.kpiScores ?? {},
    })
    .returning();
  return row!;
}

/** An API key of `user` (a new one when absent), with the token that authenticates as it. */
export async function buildApiKey(
  db: Db,
  options: { user?: Ref; name?: string; revokedAt?: Date | null } = {},
): Promise<ApiKeyRow & { token: string }> {
  const user = options.user ?? (await buildUser(db));
  const key = generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({
      userId: user.id,
      name: options.name ?? unique("key"),
      prefix: key.prefix,
      keyHash: key.hash,
      revokedAt: options.revokedAt ?? null,
    })
    .returning();
  return { ...row!, token: key.token };
}

/**
 * A SCORE_DROP rule (threshold 10) over every definition, with a fresh name, inactive unless told:
 * test files share one database, and an active rule would raise alerts in another file's evaluation.
 */
export async function buildAlertRule(db: Db, overrides: Partial<typeof alertRules.$inferInsert> = {}): Promise<AlertRuleRow> {
  const [row] = await db
    .insert(alertRules)
    .values({ name: unique("rule"), kind: "score_drop", threshold: 10, isActive: false, ...overrides })
    .returning();
  return row!;
}

/**
 * An open alert about `user` (a new one when absent) under `rule` (a new one when absent, so that
 * the one-active-alert-per-rule index never refuses it), for today in UTC.
 */
export async function buildAlert(
  db: Db,
  options: { rule?: Ref; user?: Ref; userKpi?: Ref | null; periodStart?: string; message?: string } = {},
): Promise<AlertRow> {
  const rule = options.rule ?? (await buildAlertRule(db));
  const user = options.user ?? (await buildUser(db));
  const [row] = await db
    .insert(alerts)
    .values({
      ruleId: rule.id,
      userId: user.id,
      userKpiId: options.userKpi?.id ?? null,
      periodStart: options.periodStart ?? todayIn("UTC"),
      message: options.message ?? "test",
    })
    .returning();
  return row!;
}

/** A calculation run, queued and manual unless told otherwise. */
export async function buildCalculationRun(
  db: Db,
  overrides: Partial<typeof calculationRuns.$inferInsert> = {},
): Promise<CalculationRunRow> {
  const [row] = await db
    .insert(calculationRuns)
    .values({ trigger: "manual", ...overrides })
    .returning();
  return row!;
}
