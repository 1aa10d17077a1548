import { count, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import {
  alertRules,
  kpiDefinitions,
  kpiMeasurements,
  teamMembers,
  teams,
  userExternalIds,
  userKpis,
  users,
} from "../db/schema/index.js";
import { ensureMeasurementPartitions } from "../db/partitions.js";
import { validateDataSource } from "../modules/definition/data-source.validation.js";
import { achievementPercentage } from "../scoring/achievement.js";
import { demoAdmin, demoTeams } from "./demo-data.js";
import { seedDemoSources } from "./demo-sources.js";
import { additiveUnit } from "../modules/definition/definition.service.js";
import { writeSnapshots } from "../modules/score/snapshot.store.js";
import { addDays } from "../scoring/periods.js";

export const DEMO_MONTHS = 6;

export async function isDatabaseEmpty(db: Db): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(users);
  return Number(row?.n ?? 0) === 0;
}

/** Whether the demo data is in the database: its admin is. */
export async function hasDemoData(db: Db): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(users).where(eq(users.email, demoAdmin.email));
  return Number(row?.n ?? 0) > 0;
}

/**
 * Whether the dashboard offers one-click sign-in as anyone: as DEMO_SIGN_IN says, else only while
 * the demo data is in use (the database the demo is seeded into: the embedded one, or any with
 * SEED_DEMO=true). A real database never offers it unless told to.
 */
export async function demoSignInEnabled(
  db: Db,
  settings: { demoSignIn?: boolean; seedDemo?: boolean; embedded: boolean },
): Promise<boolean> {
  if (settings.demoSignIn !== undefined) return settings.demoSignIn;
  return (settings.seedDemo ?? settings.embedded) && (await hasDemoData(db));
}

/** A small deterministic generator, so that every demo database shows the same figures. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const isoDate = (date: Date) => date.toISOString().slice(0, 10);

/** The last `months` complete calendar months before `today`, oldest first, as half-open periods. */
export function completedMonths(today: Date, months: number): Array<{ start: string; end: string }> {
  return Array.from({ length: months }, (_, i) => {
    const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - months + i, 1));
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    return { start: isoDate(start), end: isoDate(end) };
  });
}

/**
 * Seeds the design's three teams (a manager and four members each), their fifteen KPIs, an
 * assignment of each team KPI to each member, six months of monthly measurements, and the source
 * tables their queries read, in one transaction; then a snapshot per month. Returns the admin's id.
 */
export async function seedDemo(db: Db, options: { scoreCap: number; today?: Date }): Promise<{ adminId: number }> {
  const today = options.today ?? new Date();
  const months = completedMonths(today, DEMO_MONTHS);
  await ensureMeasurementPartitions(db, months[0]!.start, months.at(-1)!.start);
  const next = random(20_261_125);

  const seeded = await db.transaction(async (tx) => {
    const [admin] = await tx
      .insert(users)
      .values({ ...demoAdmin, role: "admin" })
      .returning();
    const assignmentStart = months[0]!.start;
    const membersByCategory: Record<string, number[]> = {};

    for (const demoTeam of demoTeams) {
      const [manager] = await tx
        .insert(users)
        .values({ ...demoTeam.manager, role: "manager" })
        .returning();
      const [team] = await tx.insert(teams).values({ name: demoTeam.name, managerId: manager!.id }).returning();
      const members = await tx
        .insert(users)
        .values(demoTeam.members.map(({ name, email }) => ({ name, email, role: "user" as const })))
        .returning();
      await tx.insert(teamMembers).values(members.map((member) => ({ teamId: team!.id, userId: member.id })));
      membersByCategory[demoTeam.category] = members.map((member) => member.id);
      const externalIds = demoTeam.members.flatMap((demoMember, i) =>
        Object.entries(demoMember.externalIds ?? {}).map(([provider, externalId]) => ({
          userId: members[i]!.id,
          provider,
          externalId,
        })),
      );
      if (externalIds.length > 0) await tx.insert(userExternalIds).values(externalIds);

      const definitions = await tx
        .insert(kpiDefinitions)
        .values(
          demoTeam.kpis.map((kpi) => ({
            name: kpi.name,
            description: kpi.description,
            category: demoTeam.category,
            calculationType: kpi.calculationType,
            dataSource: validateDataSource(kpi.calculationType, kpi.dataSource),
            unit: kpi.unit,
            additive: additiveUnit(kpi.unit),
            aggregationPeriod: kpi.aggregationPeriod,
            targetType: kpi.targetType,
            createdBy: admin!.id,
          })),
        )
        .returning();

      const assignments = await tx
        .insert(userKpis)
        .values(
          members.flatMap((member) =>
            definitions.map((definition, i) => ({
              userId: member.id,
              kpiDefinitionId: definition.id,
              targetValue: demoTeam.kpis[i]!.target,
              weight: 20,
              startDate: assignmentStart,
              assignedBy: manager!.id,
            })),
          ),
        )
        .returning();

      const measurements = assignments.flatMap((assignment) => {
        const index = definitions.findIndex((definition) => definition.id === assignment.kpiDefinitionId);
        const kpi = demoTeam.kpis[index]!;
        const definition = definitions[index]!;
        const range = (definition.dataSource as { allowed_range?: { min: number; max: number } }).allowed_range;
        return months.map((month) => {
          let actual = kpi.target + (next() * 2 - 1) * kpi.spread;
          if (range) actual = Math.round(Math.min(range.max, Math.max(range.min, actual)));
          actual = Math.max(0, Math.round(actual * 100) / 100);
          return {
            userKpiId: assignment.id,
            periodStart: month.start,
            periodEnd: month.end,
            actualValue: actual,
            targetValue: assignment.targetValue,
            achievementPercentage: achievementPercentage(kpi.targetType, actual, assignment.targetValue),
            calculationMetadata: { source: "demo", note: "generated by seed:demo" },
            calculatedBy: definition.calculationType === "manual" ? manager!.id : null,
          };
        });
      });
      await tx.insert(kpiMeasurements).values(measurements);
    }
    await seedDemoSources(tx, {
      support: membersByCategory.customer_support ?? [],
      sales: membersByCategory.sales ?? [],
      operations: membersByCategory.operations ?? [],
    });
    // The product design's default alerts, so that managers see some on the first evaluation.
    await tx.insert(alertRules).values([
      { name: "Below 80 % for 3 periods", kind: "below_target", threshold: 80, periods: 3, createdBy: admin!.id },
      { name: "Manual KPI not recorded", kind: "missing_measurement", graceDays: 3, createdBy: admin!.id },
      { name: "Overall score dropped 10 points", kind: "score_drop", threshold: 10, createdBy: admin!.id },
    ]);
    return { adminId: admin!.id };
  });
  // A snapshot on the last day of each demo month, so that team trends and score-drop alerts have a
  // history from the start (the snapshot job adds one a day from now on).
  for (const month of months) await writeSnapshots(db.$client, addDays(month.end, -1), options.scoreCap);
  return seeded;
}
