import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kpiDefinitions } from "../../src/db/schema/index.js";
import { buildAssignment, buildDefinition, buildMeasurement, unique } from "../helpers/factories.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

let server: TestServer;
let world: RoleWorld;
let admin: string;

beforeAll(async () => {
  ({ server, world, admin } = await startServerWithRoles());
  // The design's examples read these source tables; queries are checked against them when saved.
  await server.database.pool.query(`
    CREATE TABLE IF NOT EXISTS kpi_source.support_cases (id serial PRIMARY KEY, assigned_to int, created_at timestamptz, resolved_at timestamptz);
    CREATE TABLE IF NOT EXISTS kpi_source.ratings (id serial PRIMARY KEY, user_id int, rating int, created_at timestamptz)`);
});
afterAll(() => server?.stop());

const FIELDS = "id name category calculationType dataSource unit aggregationPeriod targetType isActive createdBy { id }";
const CREATE = `mutation($input: CreateKpiDefinitionInput!) { createKpiDefinition(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateKpiDefinitionInput!) { updateKpiDefinition(id: $id, input: $input) { ${FIELDS} } }`;

const base = (overrides: Record<string, unknown>) => ({
  name: unique("KPI"),
  category: "customer_support",
  aggregationPeriod: "MONTHLY",
  targetType: "HIGHER_BETTER",
  ...overrides,
});

// The product design's four examples, as an admin would send them.
const designExamples = {
  QUERY: {
    type: "database",
    query:
      "SELECT AVG(EXTRACT(EPOCH FROM (resolved_at - created_at)) / 3600) as avg_hours FROM support_cases WHERE assigned_to = :user_id AND resolved_at >= :start_date AND resolved_at < :end_date",
    parameters: ["user_id", "start_date", "end_date"],
  },
  API: {
    type: "intercom",
    endpoint: "conversations",
    metric: "first_response_time",
    filters: { assignee_id: ":user_id", created_at_after: ":start_date", created_at_before: ":end_date" },
  },
  FORMULA: {
    type: "formula",
    formula: "(positive_ratings / total_ratings) * 100",
    inputs: [
      {
        variable: "positive_ratings",
        source: { type: "database", query: "SELECT COUNT(*) FROM ratings WHERE user_id = :user_id AND rating >= 4" },
      },
      { variable: "total_ratings", source: { type: "database", query: "SELECT COUNT(*) FROM ratings WHERE user_id = :user_id" } },
    ],
  },
  MANUAL: { type: "manual", allowed_range: { min: 1, max: 5 } },
};

async function countByName(name: string) {
  return (await server.database.db.select().from(kpiDefinitions).where(eq(kpiDefinitions.name, name))).length;
}

describe("createKpiDefinition", () => {
  for (const [calculationType, dataSource] of Object.entries(designExamples)) {
    it(`stores the design's ${calculationType} example`, async () => {
      const input = base({ calculationType, dataSource, unit: "hours" });
      const res = await server.gql(CREATE, { input }, admin);
      expect(res.errors).toBeUndefined();
      expect(res.data!.createKpiDefinition).toMatchObject({
        name: input.name,
        calculationType,
        isActive: true,
        createdBy: { id: String(world.users.admin.id) },
      });
      expect(res.data!.createKpiDefinition.dataSource).toMatchObject(dataSource);
    });
  }

  const invalid: Array<[string, string, unknown, RegExp]> = [
    ["QUERY", "no query", { type: "database", parameters: [] }, /dataSource\.query/],
    ["QUERY", "an unknown parameter", { type: "database", query: "SELECT 1 WHERE x = :tenant" }, /:tenant/],
    ["QUERY", "an unknown setting", { type: "database", query: "SELECT 1", qeury: "typo" }, /dataSource\.qeury/],
    ["API", "an unknown adapter", { type: "salesforce", metric: "x" }, /dataSource\.type/],
    ["API", "no metric", { type: "aircall" }, /dataSource\.metric/],
    ["API", "a non-http URL", { type: "http", url: "file:///etc/passwd" }, /dataSource\.url/],
    ["FORMULA", "no formula", { type: "formula", inputs: [] }, /dataSource\.formula/],
    [
      "FORMULA",
      "a duplicate variable",
      {
        type: "formula",
        formula: "a",
        inputs: [
          { variable: "a", source: { type: "kpi", kpiDefinitionId: 1 } },
          { variable: "a", source: { type: "kpi", kpiDefinitionId: 2 } },
        ],
      },
      /inputs\[1\]\.variable/,
    ],
    [
      "FORMULA",
      "an input without a source",
      { type: "formula", formula: "a", inputs: [{ variable: "a" }] },
      /inputs\[0\]\.source/,
    ],
    ["MANUAL", "min above max", { type: "manual", allowed_range: { min: 5, max: 1 } }, /allowed_range/],
    ["MANUAL", "a text bound", { type: "manual", allowed_range: { min: "1", max: 5 } }, /allowed_range\.min/],
    ["MANUAL", "a list instead of an object", [1, 5], /dataSource/],
  ];
  for (const [calculationType, what, dataSource, message] of invalid) {
    it(`refuses a ${calculationType} source with ${what}, naming the field, storing nothing`, async () => {
      const input = base({ calculationType, dataSource });
      const res = await server.gql(CREATE, { input }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.errors?.[0]?.message).toMatch(message);
      expect(await countByName(input.name as string)).toBe(0);
    });
  }

  it("requires a data source for computed types but not for MANUAL", async () => {
    const query = await server.gql(CREATE, { input: base({ calculationType: "QUERY" }) }, admin);
    expect(query.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const manual = await server.gql(CREATE, { input: base({ calculationType: "MANUAL" }) }, admin);
    expect(manual.data!.createKpiDefinition.dataSource).toEqual({ type: "manual" });
  });

  it("refuses a second active definition with the same name, but allows it once the first is archived", async () => {
    const first = await buildDefinition(server.database.db);
    const duplicate = await server.gql(
      CREATE,
      { input: base({ name: first.name.toLowerCase(), calculationType: "MANUAL" }) },
      admin,
    );
    expect(duplicate.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    await server.gql(UPDATE, { id: String(first.id), input: { isActive: false } }, admin);
    const replacement = await server.gql(CREATE, { input: base({ name: first.name, calculationType: "MANUAL" }) }, admin);
    expect(replacement.errors).toBeUndefined();
    const reactivate = await server.gql(UPDATE, { id: String(first.id), input: { isActive: true } }, admin);
    expect(reactivate.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  it("refuses an unknown enum value and a name over 255 characters", async () => {
    const badEnum = await server.gql(CREATE, { input: base({ calculationType: "MAGIC" }) }, admin);
    expect(badEnum.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const longName = await server.gql(CREATE, { input: base({ name: "x".repeat(256), calculationType: "MANUAL" }) }, admin);
    expect(longName.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(longName.errors?.[0]?.message).toMatch(/name/);
  });
});

describe("updateKpiDefinition", () => {
  async function withMeasurement(definitionId: number) {
    const db = server.database.db;
    const assignment = await buildAssignment(db, { definition: { id: definitionId }, targetValue: 4, startDate: "2026-01-01" });
    await buildMeasurement(db, { assignment, periodStart: "2026-10-01", periodEnd: "2026-11-01", actualValue: 3 });
  }

  it("changes descriptive fields and the source of a definition without measurements", async () => {
    const definition = await buildDefinition(server.database.db);
    const res = await server.gql(
      UPDATE,
      {
        id: String(definition.id),
        input: { description: "Clearer", unit: "points", dataSource: { type: "manual", allowed_range: { min: 0, max: 100 } } },
      },
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateKpiDefinition.dataSource).toEqual({ type: "manual", allowed_range: { min: 0, max: 100 } });
  });

  it("refuses to change the source, period or target type once measured, but allows renaming and archiving", async () => {
    const definition = await buildDefinition(server.database.db);
    await withMeasurement(definition.id);
    for (const input of [
      { dataSource: { type: "manual", allowed_range: { min: 0, max: 100 } } },
      { aggregationPeriod: "WEEKLY" },
      { targetType: "LOWER_BETTER" },
    ]) {
      const res = await server.gql(UPDATE, { id: String(definition.id), input }, admin);
      expect(res.errors?.[0]?.extensions?.code).toBe("CONFLICT");
      expect(res.errors?.[0]?.message).toMatch(/archive/);
    }
    const [unchanged] = await server.database.db.select().from(kpiDefinitions).where(eq(kpiDefinitions.id, definition.id));
    expect(unchanged).toMatchObject({
      aggregationPeriod: "monthly",
      targetType: "higher_better",
      dataSource: definition.dataSource,
    });

    const renamed = await server.gql(
      UPDATE,
      { id: String(definition.id), input: { name: unique("Renamed"), isActive: false } },
      admin,
    );
    expect(renamed.data!.updateKpiDefinition.isActive).toBe(false);
  });

  it("accepts the same source again once measured (nothing changes)", async () => {
    const definition = await buildDefinition(server.database.db);
    await withMeasurement(definition.id);
    const res = await server.gql(UPDATE, { id: String(definition.id), input: { dataSource: definition.dataSource } }, admin);
    expect(res.errors).toBeUndefined();
  });

  it("answers NOT_FOUND for an unknown definition and validates a new source against the stored type", async () => {
    const missing = await server.gql(UPDATE, { id: "99999999", input: { name: "x" } }, admin);
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const definition = await buildDefinition(server.database.db);
    const wrongShape = await server.gql(
      UPDATE,
      { id: String(definition.id), input: { dataSource: { type: "database", query: "SELECT 1" } } },
      admin,
    );
    expect(wrongShape.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("kpiDefinitions and the audit log", () => {
  it("filters by category, calculation type and active flag", async () => {
    const category = unique("cat");
    const active = await buildDefinition(server.database.db, { category, calculationType: "manual" });
    await buildDefinition(server.database.db, { category, calculationType: "manual", isActive: false });
    await buildDefinition(server.database.db, { category, calculationType: "query", dataSource: designExamples.QUERY });
    const res = await server.gql(
      `query($filter: KpiDefinitionFilter) { kpiDefinitions(filter: $filter) { id } }`,
      { filter: { category, calculationType: "MANUAL", isActive: true } },
      admin,
    );
    expect(res.data!.kpiDefinitions).toEqual([{ id: String(active.id) }]);
  });

  it("records every definition write with before and after, readable by entity", async () => {
    const created = await server.gql(CREATE, { input: base({ calculationType: "MANUAL" }) }, admin);
    const id = created.data!.createKpiDefinition.id as string;
    await server.gql(UPDATE, { id, input: { unit: "stars" } }, admin);
    const res = await server.gql(
      `query($id: String) { auditLog(entityType: "kpi_definition", entityId: $id) { action actor { id } before after } }`,
      { id },
      admin,
    );
    const [update, create] = res.data!.auditLog;
    expect(create).toMatchObject({ action: "kpi_definition.create", before: null, actor: { id: String(world.users.admin.id) } });
    expect(update).toMatchObject({ action: "kpi_definition.update", before: { unit: null }, after: { unit: "stars" } });
  });
});
