import { describe, expect, it } from "vitest";
import type { GraphQLObjectType, GraphQLResolveInfo } from "graphql";
import { buildBareSchema } from "../../src/server/schema.js";

const schema = await buildBareSchema();
const fieldOf = (type: string, field: string) => (schema.getType(type) as GraphQLObjectType).getFields()[field]!;

/** A context whose loaders record what the resolvers asked them. */
function recordingContext() {
  const asked: unknown[] = [];
  const loader = { load: (key: unknown) => (asked.push(key), Promise.resolve([])) };
  return {
    asked,
    ctx: {
      loaders: { latestMeasurements: loader, teamTrend: loader },
      services: { insights: { teamTrend: () => "trend" } },
      today: "2026-12-03",
    },
  };
}

describe("field resolvers called directly", () => {
  it("hands a field resolver the parent row itself and its scalar arguments", async () => {
    const { asked, ctx } = recordingContext();
    const row = { id: 7, userId: 1 };
    await fieldOf("UserKpi", "trend").resolve!(row, { periods: 3 }, ctx, {} as GraphQLResolveInfo);
    expect(asked).toEqual([{ id: 7, options: 3 }]);
  });

  it("passes enum arguments through type-graphql, and still refuses a bad argument", async () => {
    const { asked, ctx } = recordingContext();
    const trend = fieldOf("Team", "trend").resolve!;
    await expect(trend({ id: 2 }, { periods: 4, aggregationPeriod: "quarterly" }, ctx, {} as GraphQLResolveInfo)).resolves.toBe(
      "trend",
    );
    expect(asked).toEqual([{ id: 2, options: { aggregation: "quarterly", periods: 4 } }]);
    await expect(async () =>
      trend({ id: 2 }, { periods: 0, aggregationPeriod: "monthly" }, ctx, {} as GraphQLResolveInfo),
    ).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });
});
