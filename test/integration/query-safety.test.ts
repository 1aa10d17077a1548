import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  at,
  CalculationWorld,
  CREATE,
  databaseSource,
  definitionInput,
  lastMonth,
  onlyError,
  sourceTable,
  UPDATE,
} from "../helpers/calculation.js";
import { buildAssignment } from "../helpers/factories.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

/**
 * Hostile SQL in QUERY definitions: refused when the definition is saved (nothing stored), or, for a
 * definition that reached the database some other way, when it is calculated (nothing measured).
 * Either way the source data and the server's own tables stay as they were.
 */

let server: TestServer;
let world: RoleWorld;
let admin: string;
let calc: CalculationWorld;
/** kpi_source.<cases>: three rows, two of them the test user's in the last complete month. */
let cases: string;

const postgres = inject("databaseKind") === "postgres";

beforeAll(async () => {
  ({ server, world, admin } = await startServerWithRoles());
  calc = new CalculationWorld(server, admin);
  cases = sourceTable("cases");
  const { start } = lastMonth();
  await calc.sql(`CREATE TABLE kpi_source.${cases} (id serial PRIMARY KEY, assigned_to int NOT NULL, resolved_at timestamptz)`);
  await calc.sql(`INSERT INTO kpi_source.${cases} (assigned_to, resolved_at) VALUES ($1, $2), ($1, $3), ($4, $2)`, [
    world.users.user.id,
    at(start, 5),
    at(start, 50),
    world.users.otherUser.id,
  ]);
});
afterAll(async () => {
  await calc?.sql(`DROP TABLE IF EXISTS kpi_source.${cases}`);
  await server?.stop();
});

/** What must hold after every refusal: the source rows, and the server's own tables, untouched. */
async function expectNothingChanged() {
  expect(await calc.rowCount(cases)).toBe(3);
  const users = await calc.sql(`SELECT count(*)::int AS n FROM users WHERE id = ANY($1)`, [
    Object.values(world.users).map((u) => u.id),
  ]);
  expect(users.rows[0].n).toBe(5);
  const tables = await calc.sql(
    `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'kpi_source' AND tablename LIKE 'evil%'`,
  );
  expect(tables.rows[0].n).toBe(0);
}

describe("when a QUERY definition is saved", () => {
  async function refusedAtSave(query: string, field = "dataSource.query") {
    const input = definitionInput("QUERY", databaseSource(query));
    const res = await server.gql(CREATE, { input }, admin);
    const error = onlyError(res, "createKpiDefinition");
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(await calc.definitionsNamed(input.name)).toBe(0);
    await expectNothingChanged();
    return error.message;
  }

  it("accepts a well-formed query over a kpi_source table (the baseline of what follows)", async () => {
    const saved = await calc.create("QUERY", databaseSource(`SELECT COUNT(*) FROM ${cases} WHERE assigned_to = :user_id`));
    expect(saved.dataSource).toMatchObject({ type: "database", parameters: ["user_id"] });
  });

  it("refuses a syntax error with PostgreSQL's message", async () => {
    expect(await refusedAtSave(`SELECT COUNT(* FROM ${cases}`)).toMatch(/syntax error at or near "FROM"/);
  });

  it("refuses two statements, saying a KPI query must be a single SELECT", async () => {
    const message = await refusedAtSave(`SELECT 1; DELETE FROM kpi_source.${cases}`);
    expect(message).toMatch(/syntax error at or near ";"/);
    expect(message).toMatch(/a KPI query must be a single SELECT statement/);
  });

  it.each([
    ["DELETE", (t: string) => `DELETE FROM kpi_source.${t}`],
    ["UPDATE", (t: string) => `UPDATE kpi_source.${t} SET assigned_to = 0 RETURNING 1`],
    ["INSERT", (t: string) => `INSERT INTO kpi_source.${t} (assigned_to) VALUES (0) RETURNING 1`],
    ["DROP TABLE", (t: string) => `DROP TABLE kpi_source.${t}`],
    ["CREATE TABLE", () => `CREATE TABLE kpi_source.evil_table (id int)`],
    ["TRUNCATE", (t: string) => `TRUNCATE kpi_source.${t}`],
  ])("refuses a %s statement", async (_what, query) => {
    expect(await refusedAtSave(query(cases))).toMatch(/syntax error at or near/);
  });

  it("refuses a write hidden inside a WITH", async () => {
    const message = await refusedAtSave(`WITH gone AS (DELETE FROM ${cases} RETURNING id) SELECT count(*) FROM gone`);
    expect(message).toMatch(/WITH clause containing a data-modifying statement must be at the top level/);
  });

  it("refuses a locking read, which a read-only transaction does not allow", async () => {
    const message = await refusedAtSave(`SELECT id FROM ${cases} WHERE assigned_to = :user_id FOR UPDATE`);
    expect(message).toMatch(/the query tried to write; KPI queries are read-only/);
  });

  it.each(["users", "api_keys", "kpi_measurements"])("refuses to read public.%s: permission denied", async (table) => {
    const message = await refusedAtSave(`SELECT count(*) FROM public.${table}`);
    expect(message).toContain(`permission denied for table ${table}`);
    expect(message).toMatch(/can read only the kpi_source schema/);
  });

  it("does not find the server's tables without a schema either: only kpi_source is on the search path", async () => {
    expect(await refusedAtSave("SELECT count(*) FROM users")).toMatch(/relation "users" does not exist/);
  });

  it("refuses a query whose first column is text: not a number", async () => {
    const message = await refusedAtSave("SELECT 'x'");
    expect(message).toMatch(/the first column \("\?column\?"\) is text, not a number/);
  });

  it("refuses a query whose first column is a date, naming the column", async () => {
    const message = await refusedAtSave(`SELECT max(resolved_at) AS last_resolved, count(*) FROM ${cases}`);
    expect(message).toMatch(/the first column \("last_resolved"\) is timestamptz, not a number/);
  });

  it("refuses an unknown named parameter, listing the known ones", async () => {
    const message = await refusedAtSave(`SELECT count(*) FROM ${cases} WHERE assigned_to = :tenant_id`);
    expect(message).toMatch(/unknown parameter :tenant_id \(known: :user_id, :start_date, :end_date, :external_id.<provider>\)/);
  });

  it("refuses a changed query the same way, keeping the saved one", async () => {
    const saved = await calc.create("QUERY", databaseSource(`SELECT COUNT(*) FROM ${cases}`));
    const res = await server.gql(
      UPDATE,
      { id: saved.id, input: { dataSource: databaseSource("SELECT count(*) FROM public.users") } },
      admin,
    );
    expect(onlyError(res, "updateKpiDefinition")).toMatchObject({ code: "BAD_USER_INPUT", field: "dataSource.query" });
    expect((await calc.definitionById(saved.id))!.dataSource).toEqual(saved.dataSource);
    const fine = databaseSource(`SELECT COUNT(*) FROM ${cases} WHERE assigned_to = :user_id`);
    const changed = await server.gql(UPDATE, { id: saved.id, input: { dataSource: fine } }, admin);
    expect(changed.errors).toBeUndefined();
    expect(changed.data!.updateKpiDefinition.dataSource).toMatchObject(fine);
  });

  it("refuses an unknown connection", async () => {
    const input = definitionInput("QUERY", { ...databaseSource("SELECT 1"), connection: "warehouse" });
    const error = onlyError(await server.gql(CREATE, { input }, admin), "createKpiDefinition");
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", field: "dataSource.query" });
    expect(error.message).toMatch(/unknown connection "warehouse" \(known: default\)/);
    expect(await calc.definitionsNamed(input.name)).toBe(0);
  });
});

describe("when a QUERY definition that skipped the save-time checks is calculated", () => {
  /** A monthly definition holding `query`, written straight to the database, assigned to user. */
  async function assignedQuery(query: string): Promise<number> {
    const definition = await calc.insertDefinition({ calculationType: "query", dataSource: databaseSource(query) });
    return (await buildAssignment(server.database.db, { user: world.users.user, definition, targetValue: 5 })).id;
  }

  async function failsToCalculate(query: string, reason: RegExp) {
    const userKpiId = await assignedQuery(query);
    const error = onlyError(await calc.calculate(userKpiId), "calculateUserKpi");
    expect(error.code).toBe("CALCULATION_FAILED");
    expect(error.message).toMatch(reason);
    expect(await calc.measurementsOf(userKpiId)).toEqual([]);
    await expectNothingChanged();
  }

  it("fails a write attempt: a locking read in the read-only transaction", async () => {
    await failsToCalculate(`SELECT id FROM ${cases} FOR UPDATE`, /the query tried to write; KPI queries are read-only/);
  });

  it("fails a write attempt: a DELETE inside a WITH", async () => {
    await failsToCalculate(
      `WITH gone AS (DELETE FROM ${cases} RETURNING id) SELECT count(*) FROM gone`,
      /data-modifying statement must be at the top level/,
    );
  });

  it("fails a second statement", async () => {
    await failsToCalculate(`SELECT count(*) FROM ${cases}; DROP TABLE ${cases}`, /a KPI query must be a single SELECT statement/);
  });

  it("fails a read of the server's own tables", async () => {
    await failsToCalculate("SELECT count(*) FROM public.api_keys", /permission denied for table api_keys/);
  });

  // SET LOCAL ROLE alone is not a boundary: set_config('role', 'none', true) would return to the
  // server's role, after which query_to_xml reads any table. Migration 0002 takes set_config from PUBLIC.
  it("fails a query that tries to leave kpi_source_reader with set_config and read public.users", async () => {
    await failsToCalculate(
      "SELECT length(set_config('role','none',true))*0 + (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM public.users', false, true, '')))[1]::text::int",
      /permission denied for function set_config/,
    );
  });

  it("fails a query that tries to lift its own statement timeout with set_config", async () => {
    await failsToCalculate(
      "SELECT length(set_config('statement_timeout','0',true))",
      /permission denied for function set_config/,
    );
  });

  it("fails a query returning two rows", async () => {
    await failsToCalculate(
      `SELECT count(*) FROM ${cases} GROUP BY assigned_to`,
      /returned more than one row; it must return one row/,
    );
  });

  it("fails a query whose first column is text", async () => {
    await failsToCalculate("SELECT 'x' AS label, 1", /the first column \("label"\) is text, not a number/);
  });

  it("stores a NULL (an average over no rows) as an undefined value, not a failure", async () => {
    const userKpiId = await assignedQuery(
      `SELECT AVG(EXTRACT(EPOCH FROM resolved_at)) FROM ${cases} WHERE assigned_to = :user_id AND resolved_at < '2000-01-01'`,
    );
    const res = await calc.calculate(userKpiId);
    expect(res.errors).toBeUndefined();
    expect(res.data!.calculateUserKpi).toMatchObject({
      ...{ periodStart: lastMonth().start, periodEnd: lastMonth().end },
      actualValue: null,
      targetValue: 5,
      achievementPercentage: null,
      calculatedBy: null,
      calculationMetadata: {
        source: "database",
        outcome: "undefined",
        reason: "the query returned NULL (no data for the period)",
        rows: 1,
      },
    });
    const rows = await calc.measurementsOf(userKpiId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actualValue: null, calculationMetadata: { outcome: "undefined" } });
  });

  it("stores no rows at all as an undefined value too", async () => {
    const userKpiId = await assignedQuery(`SELECT 1 FROM ${cases} WHERE false`);
    const res = await calc.calculate(userKpiId);
    expect(res.errors).toBeUndefined();
    expect(res.data!.calculateUserKpi).toMatchObject({
      actualValue: null,
      calculationMetadata: { outcome: "undefined", reason: "the query returned no rows", rows: 0 },
    });
  });

  describe("a query that runs too long", () => {
    let slow: TestServer | undefined;
    afterAll(() => slow?.stop());

    it.skipIf(!postgres)(
      "is cancelled at SOURCE_QUERY_TIMEOUT_MS and fails, naming the limit (PostgreSQL only: the embedded engine cannot cancel a statement)",
      async () => {
        const started = await startServerWithRoles({ SOURCE_QUERY_TIMEOUT_MS: "300" });
        slow = started.server;
        const slowCalc = new CalculationWorld(slow, started.admin);
        const definition = await slowCalc.insertDefinition({
          calculationType: "query",
          dataSource: databaseSource("SELECT 1 FROM pg_sleep(2)"),
        });
        const userKpiId = await slowCalc.assign(started.world.users.user.id, definition.id);
        const begun = performance.now();
        const error = onlyError(await slowCalc.calculate(userKpiId), "calculateUserKpi");
        const elapsed = performance.now() - begun;
        expect(error).toMatchObject({ code: "CALCULATION_FAILED" });
        expect(error.message).toBe("the query ran longer than the 300 ms limit and was cancelled");
        expect(elapsed).toBeLessThan(1_500);
        expect(await slowCalc.measurementsOf(userKpiId)).toEqual([]);
      },
    );
  });
});
