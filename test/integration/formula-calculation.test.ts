import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  at,
  CalculationWorld,
  CREATE,
  databaseSource,
  definitionInput,
  lastMonth,
  monthsBefore,
  onlyError,
  RECORD,
  sourceTable,
  UPDATE,
} from "../helpers/calculation.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

/**
 * FORMULA definitions through calculateUserKpi, over HTTP against the real database: the product
 * design's Example 3 over a ratings table of our own in kpi_source, undefined values (a division by
 * zero, a missing KPI input), composite KPIs using another KPI's measurement, and the refusals when
 * a formula definition is saved.
 */

let server: TestServer;
let world: RoleWorld;
let admin: string;
let calc: CalculationWorld;
/** kpi_source.<ratings>: customer ratings 1..5 like the design's ratings (see beforeAll for the rows). */
let ratings: string;
let user: number;

const L = lastMonth();
/** Two months before the last complete one: no ratings of `user` there. */
const P = monthsBefore(2);

// The product design's Example 3, over our table.
const satisfaction = () => ({
  type: "formula",
  formula: "(positive_ratings / total_ratings) * 100",
  inputs: [
    {
      variable: "positive_ratings",
      source: databaseSource(
        `SELECT COUNT(*) FROM ${ratings} WHERE user_id = :user_id AND rating >= 4 AND created_at >= :start_date AND created_at < :end_date`,
      ),
    },
    {
      variable: "total_ratings",
      source: databaseSource(
        `SELECT COUNT(*) FROM ${ratings} WHERE user_id = :user_id AND created_at >= :start_date AND created_at < :end_date`,
      ),
    },
  ],
});

beforeAll(async () => {
  ({ server, world, admin } = await startServerWithRoles());
  calc = new CalculationWorld(server, admin);
  user = world.users.user.id;
  ratings = sourceTable("ratings");
  await calc.sql(
    `CREATE TABLE kpi_source.${ratings} (id serial PRIMARY KEY, user_id int NOT NULL, rating int NOT NULL, created_at timestamptz NOT NULL)`,
  );
  // In L, `user` has five ratings, three of them 4 or 5.
  for (const [userId, rating, hours] of [
    ...[5, 4, 4, 2, 1].map((rating, i) => [user, rating, 10 + i]),
    [world.users.otherUser.id, 5, 10],
    [user, 5, -1], // the last hour of the month before L
  ] as const) {
    await calc.sql(`INSERT INTO kpi_source.${ratings} (user_id, rating, created_at) VALUES ($1, $2, $3)`, [
      userId,
      rating,
      at(L.start, hours),
    ]);
  }
});
afterAll(async () => {
  await calc?.sql(`DROP TABLE IF EXISTS kpi_source.${ratings}`);
  await server?.stop();
});

describe("calculateUserKpi", () => {
  it("runs the design's Example 3: positive ratings as a share of all, listing both inputs", async () => {
    const definition = await calc.create("FORMULA", satisfaction(), { unit: "%" });
    const userKpiId = await calc.assign(user, definition.id, monthsBefore(12).start, 90);
    const res = await calc.calculate(userKpiId);
    expect(res.errors).toBeUndefined();
    const { calculationMetadata, ...measurement } = res.data!.calculateUserKpi;
    expect(measurement).toMatchObject({ periodStart: L.start, actualValue: 60, targetValue: 90, achievementPercentage: 66.67 });
    const [positive, total] = satisfaction().inputs.map((input) => ({
      source: "database",
      connection: "default",
      query: input.source.query,
      parameters: { user_id: user, start_date: L.start, end_date: L.end },
      rows: 1,
      durationMs: expect.any(Number),
    }));
    expect(calculationMetadata).toEqual({
      source: "formula",
      formula: "(positive_ratings / total_ratings) * 100",
      inputs: { positive_ratings: { value: 3, ...positive }, total_ratings: { value: 5, ...total } },
      outcome: "value",
      calculatedInMs: expect.any(Number),
    });
  });

  it("stores an undefined value, not a failure, when there are no ratings (a division by zero)", async () => {
    const definition = await calc.create("FORMULA", satisfaction(), { unit: "%" });
    const userKpiId = await calc.assign(user, definition.id);
    const res = await calc.calculate(userKpiId, P.start);
    expect(res.errors).toBeUndefined();
    expect(res.data!.calculateUserKpi).toMatchObject({ periodStart: P.start, actualValue: null, achievementPercentage: null });
    const metadata = res.data!.calculateUserKpi.calculationMetadata;
    expect(metadata).toMatchObject({
      outcome: "undefined",
      inputs: { positive_ratings: { value: 0 }, total_ratings: { value: 0 } },
    });
    expect(metadata.reason).toMatch(/division by zero at position \d+/);
    expect((await calc.measurementsOf(userKpiId)).map((m) => m.actualValue)).toEqual([null]);
  });

  it("uses the same user's stored measurement of another KPI for the same period, undefined when there is none", async () => {
    const quality = await calc.create("MANUAL", { type: "manual", allowed_range: { min: 1, max: 5 } });
    const recorded = await server.gql(
      RECORD,
      { userKpiId: await calc.assign(user, quality.id), input: { actualValue: 4, periodStart: L.start, periodEnd: L.end } },
      admin,
    );
    expect(recorded.errors).toBeUndefined();
    // Another user's value for the same KPI and period must not be taken.
    await server.gql(
      RECORD,
      {
        userKpiId: await calc.assign(world.users.otherUser.id, quality.id),
        input: { actualValue: 1, periodStart: P.start, periodEnd: P.end },
      },
      admin,
    );
    const composite = await calc.create("FORMULA", {
      type: "formula",
      formula: "quality * 10 + rated",
      inputs: [
        { variable: "quality", source: { type: "kpi", kpiDefinitionId: Number(quality.id) } },
        { variable: "rated", source: satisfaction().inputs[1]!.source },
      ],
    });
    const userKpiId = await calc.assign(user, composite.id);
    const res = await calc.calculate(userKpiId);
    expect(res.errors).toBeUndefined();
    expect(res.data!.calculateUserKpi).toMatchObject({
      actualValue: 45,
      calculationMetadata: {
        inputs: { quality: { value: 4, source: "kpi", kpiDefinitionId: Number(quality.id) }, rated: { value: 5 } },
      },
    });

    const none = await calc.calculate(userKpiId, P.start);
    expect(none.errors).toBeUndefined();
    expect(none.data!.calculateUserKpi).toMatchObject({
      actualValue: null,
      calculationMetadata: {
        outcome: "undefined",
        reason: expect.stringMatching(/input "quality" is null/),
        inputs: { quality: { undefined: `no measurement of KPI ${quality.id} for the period` }, rated: { value: 0 } },
      },
    });
  });
});

describe("refused when saved or changed (BAD_USER_INPUT, nothing stored)", () => {
  async function refused(dataSource: unknown, field: string, message: RegExp) {
    const input = definitionInput("FORMULA", dataSource);
    const error = onlyError(await server.gql(CREATE, { input }, admin), "createKpiDefinition");
    expect(error).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(error.message).toMatch(message);
    expect(await calc.definitionsNamed(input.name)).toBe(0);
  }
  const withFormula = (formula: string) => ({ ...satisfaction(), formula });

  it("an unknown variable, with its position", async () => {
    await refused(
      withFormula("(positive / total_ratings) * 100"),
      "dataSource.formula",
      /unknown variable "positive" at position 1$/,
    );
  });

  it("an unknown function", async () => {
    await refused(withFormula("eval(total_ratings)"), "dataSource.formula", /unknown function "eval" at position 0$/);
  });

  it("member access", async () => {
    await refused(
      withFormula("total_ratings.constructor"),
      "dataSource.formula",
      /member access \(a\.b or a\[i\]\) is not allowed at position/,
    );
  });

  it("an input whose query fails, naming the input", async () => {
    const source = satisfaction();
    source.inputs[1]!.source.query = "SELECT count(*) FROM public.users";
    await refused(source, "dataSource.inputs[1].source.query", /permission denied for table users/);
  });

  it("a KPI input that does not exist", async () => {
    const source = {
      type: "formula",
      formula: "x",
      inputs: [{ variable: "x", source: { type: "kpi", kpiDefinitionId: 2_000_000_000 } }],
    };
    await refused(source, "dataSource.inputs", /KPI definition 2000000000 does not exist/);
  });

  it("a change that would make definitions depend on themselves", async () => {
    const manual = await calc.create("MANUAL", { type: "manual" });
    const kpiInput = (variable: string, id: string) => ({ variable, source: { type: "kpi", kpiDefinitionId: Number(id) } });
    const b = await calc.create("FORMULA", { type: "formula", formula: "m + 1", inputs: [kpiInput("m", manual.id)] });
    const a = await calc.create("FORMULA", { type: "formula", formula: "b * 2", inputs: [kpiInput("b", b.id)] });
    const before = (await calc.definitionById(b.id))!.dataSource;

    for (const [uses, cycle] of [
      [a.id, new RegExp(`depend on themselves: (${b.id} → ${a.id} → ${b.id}|${a.id} → ${b.id} → ${a.id})$`)],
      [b.id, new RegExp(`depend on themselves: ${b.id} → ${b.id}$`)],
    ] as const) {
      const dataSource = { type: "formula", formula: "x + 1", inputs: [kpiInput("x", uses)] };
      const res = await server.gql(UPDATE, { id: b.id, input: { dataSource } }, admin);
      const error = onlyError(res, "updateKpiDefinition");
      expect(error).toMatchObject({ code: "BAD_USER_INPUT", field: "dataSource.inputs" });
      expect(error.message).toMatch(cycle);
      expect((await calc.definitionById(b.id))!.dataSource).toEqual(before);
    }
    const acyclic = { type: "formula", formula: "m + 2", inputs: [kpiInput("m", manual.id)] };
    const changed = await server.gql(UPDATE, { id: b.id, input: { dataSource: acyclic } }, admin);
    expect(changed.errors).toBeUndefined();
    expect(changed.data!.updateKpiDefinition.dataSource).toEqual(acyclic);
  });
});
