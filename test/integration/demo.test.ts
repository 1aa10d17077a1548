import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/seed/demo.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** The demo data (`npm start` on an empty embedded database) as a first user sees it. */

let database: PrivateDatabase;
let server: TestServer;
let admin: string;

beforeAll(async () => {
  database = await createPrivateDatabase();
  server = await startTestServer({ DATABASE_URL: database.url, KPI_TIMEZONE: "UTC" });
  const { adminId } = await seedDemo(server.database.db, { scoreCap: 150 });
  admin = await server.jwt.sign({ id: adminId, email: "admin@example.com" });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

describe("demo data", () => {
  it("gives every team a score trend over the demo months, and the default alert rules", async () => {
    const res = await server.gql(
      `{ teams { name trend(periods: 7) { periodStart averageOverallScore membersWithScore } } alertRules { kind } }`,
      {},
      admin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.teams.map((team: { name: string }) => team.name).sort()).toEqual([
      "Customer Support",
      "Operations",
      "Sales",
    ]);
    for (const team of res.data!.teams) {
      // The six demo months have a snapshot each (their last day); this month has none yet.
      const demoMonths = team.trend.slice(0, 6);
      for (const point of demoMonths) {
        expect(point, `${team.name} ${point.periodStart}`).toMatchObject({
          membersWithScore: 4,
          averageOverallScore: expect.any(Number),
        });
      }
      expect(team.trend[6]).toMatchObject({ membersWithScore: 0, averageOverallScore: null });
    }
    expect(res.data!.alertRules.map((rule: { kind: string }) => rule.kind).sort()).toEqual([
      "BELOW_TARGET",
      "MISSING_MEASUREMENT",
      "SCORE_DROP",
    ]);
  });
});
