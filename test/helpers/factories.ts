import { randomUUID } from "node:crypto";
import type { Db } from "../../src/db/client.js";
import {
  kpiDefinitions,
  teamMembers,
  teams,
  users,
  type KpiDefinitionRow,
  type TeamRow,
  type UserRole,
  type UserRow,
} from "../../src/db/schema/index.js";

/** Unique per call across parallel test files, so tests sharing one database never collide. */
export const unique = (label = "x") => `${label}-${randomUUID().slice(0, 8)}`;

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
