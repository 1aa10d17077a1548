import ExcelJS from "exceljs";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import type { KpiDefinitionRow, UserKpiRow, UserRow } from "../../src/db/schema/index.js";
import { TEAM_EXPORT_COLUMNS, USER_EXPORT_COLUMNS } from "../../src/exports/export-columns.js";
import { PAGE_SIZE } from "../../src/exports/measurement-pages.js";
import { addDays, todayIn } from "../../src/scoring/periods.js";
import { sampleValue } from "../helpers/exposition.js";
import { until } from "../helpers/waiting.js";
import {
  buildAssignment,
  buildDefinition,
  buildMeasurement,
  buildTeam,
  buildTeamMember,
  buildUser,
  unique,
  type MeasurementOptions,
} from "../helpers/factories.js";
import { createRoleWorld, ROLE_NAMES, type RoleName, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * GET /exports/...: exact CSV of a small seeded set (Q1 2024), the same values read back from the
 * XLSX, the permission matrix of both routes over the six roles, unknown and malformed ids, bad
 * ranges, a client leaving mid-download, and the two BI queries of docs/api/exports.md run as written.
 */

let server: TestServer;
let world: RoleWorld;
/** A second member of `team`, whose name starts with "-". */
let teammate: UserRow;
/** Monthly, named "=Calls …" (formula injection in a text cell). */
let calls: KpiDefinitionRow;
/** Weekly, named "+Rating …", no category or unit. */
let rating: KpiDefinitionRow;
const assignment: Record<"userCalls" | "userRating" | "teammateCalls" | "otherCalls", number> = {} as never;
/** A user of a team of their own with BULK_ROWS daily measurements, some 18 MB of CSV: more than socket buffers hold. */
let bulkUser: UserRow;
const BULK_DEFINITIONS = 20;
const BULK_DAYS = 1095;
const BULK_ROWS = BULK_DEFINITIONS * BULK_DAYS;

const Q1 = "from=2024-01-01&to=2024-04-01";
const CALCULATED_AT = new Date("2024-04-02T06:30:00Z");

beforeAll(async () => {
  server = await startTestServer();
  world = await createRoleWorld(server);
  const db = server.database.db;
  const tag = unique("x");
  teammate = await buildUser(db, { name: `-Teammate ${tag}` });
  await buildTeamMember(db, { team: world.team, user: teammate });
  calls = await buildDefinition(db, { name: `=Calls ${tag}`, category: "support", unit: "calls", aggregationPeriod: "monthly" });
  rating = await buildDefinition(db, { name: `+Rating ${tag}`, category: null, unit: null, aggregationPeriod: "weekly" });
  const userCalls = await buildAssignment(db, {
    user: world.users.user,
    definition: calls,
    targetValue: 10,
    weight: 60,
    startDate: "2023-12-01",
  });
  const userRating = await buildAssignment(db, {
    user: world.users.user,
    definition: rating,
    targetValue: 4.5,
    weight: 40,
    startDate: "2023-12-01",
  });
  const teammateCalls = await buildAssignment(db, {
    user: teammate,
    definition: calls,
    targetValue: 8,
    weight: 100,
    startDate: "2023-12-01",
  });
  const otherCalls = await buildAssignment(db, {
    user: world.users.otherUser,
    definition: calls,
    targetValue: 10,
    weight: 100,
    startDate: "2023-12-01",
  });
  Object.assign(assignment, {
    userCalls: userCalls.id,
    userRating: userRating.id,
    teammateCalls: teammateCalls.id,
    otherCalls: otherCalls.id,
  });

  await ensureMeasurementPartitions(db, "2021-01-01", "2024-12-01");
  /** Only what a test states: no value, target or achievement unless given. */
  const measure = (row: UserKpiRow, periodStart: string, periodEnd: string, values: MeasurementOptions) =>
    buildMeasurement(db, {
      assignment: row,
      periodStart,
      periodEnd,
      calculatedAt: CALCULATED_AT,
      actualValue: null,
      targetValue: null,
      achievementPercentage: null,
      ...values,
    });
  // Before `from` and at `to`: outside [from, to).
  await measure(userCalls, "2023-12-01", "2024-01-01", { actualValue: 1, targetValue: 10, achievementPercentage: 10 });
  await measure(userCalls, "2024-04-01", "2024-05-01", { actualValue: 9, targetValue: 10, achievementPercentage: 90 });
  await measure(userCalls, "2024-03-01", "2024-04-01", {
    actualValue: 8,
    targetValue: 10,
    achievementPercentage: 80,
    notes: "@here follow up",
  });
  await measure(userCalls, "2024-01-01", "2024-02-01", {
    actualValue: 12.5,
    targetValue: 10,
    achievementPercentage: 125,
    notes: 'Clear, "calm" replies',
    calculationMetadata: { secret: "admin only" },
  });
  await measure(userCalls, "2024-02-01", "2024-03-01", { targetValue: 10 });
  await measure(userRating, "2024-01-08", "2024-01-15", { actualValue: -3, targetValue: 4.5, achievementPercentage: 0 });
  await measure(teammateCalls, "2024-01-01", "2024-02-01", {
    actualValue: 7,
    targetValue: 8,
    achievementPercentage: 87.5,
  });
  await measure(otherCalls, "2024-01-01", "2024-02-01", { actualValue: 1, targetValue: 10, achievementPercentage: 10 });

  bulkUser = await buildUser(db);
  await buildTeam(db, { manager: world.users.otherManager, members: [bulkUser] });
  const bulkDefinitions = await Promise.all(
    Array.from({ length: BULK_DEFINITIONS }, () => buildDefinition(db, { aggregationPeriod: "daily" })),
  );
  await server.database.pool.query(
    `WITH assigned AS (
       INSERT INTO user_kpis (user_id, kpi_definition_id, target_value, weight, start_date)
       SELECT $1, id, 100, 5, '2021-01-01' FROM unnest($2::int[]) AS id RETURNING id
     )
     INSERT INTO kpi_measurements (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage, notes)
     SELECT a.id, day::date, day::date + 1, 42.5, 100, 42.5, repeat('a long note, so that the file is some 18 MB; ', 16)
     FROM assigned a CROSS JOIN generate_series('2021-01-01'::date, '2021-01-01'::date + ${BULK_DAYS - 1}, interval '1 day') AS day`,
    [bulkUser.id, bulkDefinitions.map((definition) => definition.id)],
  );
});
afterAll(() => server?.stop());

interface Download {
  status: number;
  headers: Headers;
  /** As received; exceljs reads an ArrayBuffer. */
  bytes: ArrayBuffer;
  text: string;
  json: () => { errors: Array<{ message: string; extensions: { code: string } }> };
}

async function download(path: string, token: string | null): Promise<Download> {
  const response = await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const bytes = await response.arrayBuffer();
  const text = Buffer.from(bytes).toString("utf8");
  return { status: response.status, headers: response.headers, bytes, text, json: () => JSON.parse(text) };
}

const token = (role: RoleName) => world.tokens[role];
const csvLines = (text: string) => text.split("\n").filter((line) => line !== "");
const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;

/** The expected CSV line of one of the seeded Q1 measurements (user columns). */
function line(
  user: UserRow,
  userKpiId: number,
  definition: KpiDefinitionRow,
  period: [string, string],
  values: { actual: string; target: string; achievement: string; weight: string; notes: string },
): string {
  const text = (value: string | null) => (value === null ? "" : quoted(/^[=+\-@]/.test(value) ? `'${value}` : value));
  return [
    user.id,
    text(user.name),
    text(user.email),
    userKpiId,
    definition.id,
    text(definition.name),
    text(definition.category),
    text(definition.unit),
    text(definition.aggregationPeriod),
    period[0],
    period[1],
    values.actual,
    values.target,
    values.achievement,
    values.weight,
    CALCULATED_AT.toISOString(),
    values.notes,
  ].join(",");
}

function userLines(): string[] {
  const user = world.users.user;
  return [
    line(user, assignment.userCalls, calls, ["2024-01-01", "2024-02-01"], {
      actual: "12.5",
      target: "10",
      achievement: "125",
      weight: "60",
      notes: '"Clear, ""calm"" replies"',
    }),
    line(user, assignment.userCalls, calls, ["2024-02-01", "2024-03-01"], {
      actual: "",
      target: "10",
      achievement: "",
      weight: "60",
      notes: "",
    }),
    line(user, assignment.userCalls, calls, ["2024-03-01", "2024-04-01"], {
      actual: "8",
      target: "10",
      achievement: "80",
      weight: "60",
      notes: `"'@here follow up"`,
    }),
    line(user, assignment.userRating, rating, ["2024-01-08", "2024-01-15"], {
      actual: "-3",
      target: "4.5",
      achievement: "0",
      weight: "40",
      notes: "",
    }),
  ];
}

function teammateLines(): string[] {
  return [
    line(teammate, assignment.teammateCalls, calls, ["2024-01-01", "2024-02-01"], {
      actual: "7",
      target: "8",
      achievement: "87.5",
      weight: "100",
      notes: "",
    }),
  ];
}

const teamPrefix = () => `${world.team.id},${quoted(world.team.name)},`;

describe("CSV content", () => {
  it("a user export: header, then one line per measurement in [from, to), by KPI and period", async () => {
    const res = await download(`/exports/users/${world.users.user.id}.csv?${Q1}`, token("admin"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="kpi-measurements-user-${world.users.user.id}-2024-01-01-to-2024-04-01.csv"`,
    );
    expect(res.text).toBe([USER_EXPORT_COLUMNS.map((column) => column.name).join(","), ...userLines()].join("\n") + "\n");
  });

  it("a team export: team columns first, every member the viewer may see, ordered by user", async () => {
    const res = await download(`/exports/teams/${world.team.id}.csv?${Q1}`, token("teamManager"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="kpi-measurements-team-${world.team.id}-2024-01-01-to-2024-04-01.csv"`,
    );
    const header = TEAM_EXPORT_COLUMNS.map((column) => column.name).join(",");
    expect(header.startsWith("team_id,team_name,user_id,user_name,user_email,user_kpi_id,kpi_definition_id,kpi_name,")).toBe(
      true,
    );
    expect(res.text).toBe([header, ...[...userLines(), ...teammateLines()].map((l) => teamPrefix() + l)].join("\n") + "\n");
  });

  it("never carries calculationMetadata, whoever asks", async () => {
    const res = await download(`/exports/users/${world.users.user.id}.csv?${Q1}`, token("admin"));
    expect(res.text).not.toContain("admin only");
    expect(res.text.split("\n")[0]).not.toContain("metadata");
  });

  it("a range without measurements is the header alone", async () => {
    const res = await download(`/exports/users/${world.users.user.id}.csv?from=2020-01-01&to=2020-02-01`, token("user"));
    expect(res.status).toBe(200);
    expect(res.text).toBe(USER_EXPORT_COLUMNS.map((column) => column.name).join(",") + "\n");
  });

  it("without from and to: the 12 months up to and including today", async () => {
    const to = addDays(todayIn(server.config.scoring.timeZone), 1);
    const [year, month, day] = to.split("-");
    const from = `${Number(year) - 1}-${month}-${month === "02" && day === "29" ? "28" : day}`;
    const res = await download(`/exports/users/${world.users.user.id}.csv`, token("user"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain(`-${from}-to-${to}.csv`);
  });

  it("a long export arrives whole and in order, across pages", async () => {
    const res = await download(`/exports/users/${bulkUser.id}.csv?from=2021-01-01&to=2024-01-01`, token("admin"));
    expect(res.status).toBe(200);
    const lines = csvLines(res.text).slice(1);
    expect(lines).toHaveLength(BULK_ROWS);
    expect(BULK_ROWS).toBeGreaterThan(10 * PAGE_SIZE);
    const keys = lines.map((l) => {
      const fields = l.split(",");
      return `${fields[4]!.padStart(10, "0")} ${fields[9]}`; // kpi_definition_id, period_start
    });
    expect(new Set(keys).size).toBe(BULK_ROWS);
    expect(keys).toEqual([...keys].sort());
  });
});

describe("XLSX", () => {
  it("holds the same columns and values, numbers as numbers and days as dates", async () => {
    const res = await download(`/exports/teams/${world.team.id}.xlsx?${Q1}`, token("admin"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="kpi-measurements-team-${world.team.id}-2024-01-01-to-2024-04-01.xlsx"`,
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.bytes);
    const sheet = workbook.getWorksheet("Measurements")!;
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows[0]).toEqual(TEAM_EXPORT_COLUMNS.map((column) => column.name));

    const day = (date: string) => new Date(`${date}T00:00:00Z`);
    const { user } = world.users;
    const userCells = (user: UserRow) => [world.team.id, world.team.name, user.id, user.name, user.email];
    const callsCells = [calls.id, calls.name, "support", "calls", "monthly"];
    // Trailing empty cells are absent from exceljs's row values, and an empty cell in between is undefined.
    expect(rows.slice(1)).toEqual([
      [
        ...userCells(user),
        assignment.userCalls,
        ...callsCells,
        day("2024-01-01"),
        day("2024-02-01"),
        12.5,
        10,
        125,
        60,
        CALCULATED_AT,
        'Clear, "calm" replies',
      ],
      [
        ...userCells(user),
        assignment.userCalls,
        ...callsCells,
        day("2024-02-01"),
        day("2024-03-01"),
        undefined,
        10,
        undefined,
        60,
        CALCULATED_AT,
      ],
      [
        ...userCells(user),
        assignment.userCalls,
        ...callsCells,
        day("2024-03-01"),
        day("2024-04-01"),
        8,
        10,
        80,
        60,
        CALCULATED_AT,
        "@here follow up",
      ],
      [
        ...userCells(user),
        assignment.userRating,
        rating.id,
        rating.name,
        undefined,
        undefined,
        "weekly",
        day("2024-01-08"),
        day("2024-01-15"),
        -3,
        4.5,
        0,
        40,
        CALCULATED_AT,
      ],
      [
        ...userCells(teammate),
        assignment.teammateCalls,
        ...callsCells,
        day("2024-01-01"),
        day("2024-02-01"),
        7,
        8,
        87.5,
        100,
        CALCULATED_AT,
      ],
    ]);
  });
});

type Outcome = 200 | 400 | 401 | 403 | 404;
/** Expected status per role, in the order of ROLE_NAMES. */
type Row = [anonymous: Outcome, user: Outcome, otherUser: Outcome, teamManager: Outcome, otherManager: Outcome, admin: Outcome];
const CODES: Record<Exclude<Outcome, 200>, string> = {
  400: "BAD_USER_INPUT",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
};

/** The user ids of a CSV export's rows, in order of first appearance. */
function exportedUsers(text: string, userIdField: number): number[] {
  return [
    ...new Set(
      csvLines(text)
        .slice(1)
        .map((l) => Number(l.split(",")[userIdField])),
    ),
  ];
}

interface MatrixCase {
  label: string;
  path: () => string;
  expect: Row;
  /** For a 200: the users whose rows the viewer gets. */
  users?: (role: RoleName) => UserRow[];
}

// prettier-ignore
const matrix: MatrixCase[] = [
  //                                                                           anonymous user otherUser teamManager otherManager admin
  { label: "team of user (csv)", path: () => `/exports/teams/${world.team.id}.csv?${Q1}`, expect: [401, 200, 403, 200, 403, 200],
    users: (role) => (role === "user" ? [world.users.user] : [world.users.user, teammate]) },
  { label: "team of user (xlsx)", path: () => `/exports/teams/${world.team.id}.xlsx?${Q1}`, expect: [401, 200, 403, 200, 403, 200] },
  { label: "user (csv)", path: () => `/exports/users/${world.users.user.id}.csv?${Q1}`, expect: [401, 200, 403, 200, 403, 200],
    users: () => [world.users.user] },
  { label: "user (xlsx)", path: () => `/exports/users/${world.users.user.id}.xlsx?${Q1}`, expect: [401, 200, 403, 200, 403, 200] },
  { label: "teammate (csv)", path: () => `/exports/users/${teammate.id}.csv?${Q1}`, expect: [401, 403, 403, 200, 403, 200],
    users: () => [teammate] },
  { label: "unknown team", path: () => `/exports/teams/99999999.csv?${Q1}`, expect: [401, 403, 403, 403, 403, 404] },
  { label: "unknown user", path: () => `/exports/users/99999999.xlsx?${Q1}`, expect: [401, 403, 403, 403, 403, 404] },
  { label: "malformed team id", path: () => `/exports/teams/abc.csv?${Q1}`, expect: [401, 403, 403, 403, 403, 400] },
  { label: "malformed user id", path: () => `/exports/users/-1.csv?${Q1}`, expect: [401, 403, 403, 403, 403, 400] },
  { label: "out-of-range user id", path: () => `/exports/users/99999999999.csv?${Q1}`, expect: [401, 403, 403, 403, 403, 400] },
];

describe("permissions", () => {
  for (const c of matrix) {
    describe(c.label, () => {
      ROLE_NAMES.forEach((role, index) => {
        const status = c.expect[index]!;
        it(`${role} → ${status}`, async () => {
          const res = await download(c.path(), token(role));
          expect(res.status).toBe(status);
          if (status === 200) {
            if (c.users) {
              const userIdField = c.path().startsWith("/exports/teams/") ? 2 : 0;
              expect(exportedUsers(res.text, userIdField)).toEqual(c.users(role).map((user) => user.id));
            }
            return;
          }
          expect(res.headers.get("content-type")).toMatch(/^application\/json/);
          expect(res.headers.get("content-disposition")).toBeNull();
          expect(res.json()).toEqual({ errors: [{ message: expect.any(String), extensions: { code: CODES[status] } }] });
          if (status === 401) expect(res.headers.get("www-authenticate")).toBe('Bearer realm="exports"');
        });
      });
    });
  }

  it.each(["user", "teamManager", "otherManager"] as const)("%s: an unknown id reads exactly like a stranger's", async (role) => {
    const stranger = role === "otherManager" ? world.users.user : world.users.otherUser;
    const strangerTeam = role === "otherManager" ? world.team : world.otherTeam;
    for (const [known, unknown] of [
      [`/exports/users/${stranger.id}.csv`, "/exports/users/99999999.csv"],
      [`/exports/teams/${strangerTeam.id}.xlsx`, "/exports/teams/99999999.xlsx"],
    ] as const) {
      const [a, b] = [await download(known, token(role)), await download(unknown, token(role))];
      expect(a.status).toBe(403);
      expect([b.status, b.text]).toEqual([a.status, a.text]);
    }
  });

  it("an API key works as its user's token", async () => {
    const created = await server.gql(`mutation { createApiKey(name: "bi") { token } }`, {}, token("teamManager"));
    const key = created.data!.createApiKey.token as string;
    const res = await download(`/exports/teams/${world.team.id}.csv?${Q1}`, key);
    expect(res.status).toBe(200);
    expect(exportedUsers(res.text, 2)).toEqual([world.users.user.id, teammate.id]);
  });

  it("a bad token is 401, however the route is asked", async () => {
    for (const authorization of ["Bearer not-a-token", "Basic abc", "Bearer kpik_unknownunknownunknown"]) {
      const res = await fetch(`${server.url}/exports/users/${world.users.user.id}.csv`, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe(
        "UNAUTHENTICATED",
      );
    }
  });

  it("HEAD answers the headers and reads no rows", async () => {
    const exportsDone = async () =>
      sampleValue((await server.running.metrics.render()).body, "kpi_exports_total", { format: "csv", outcome: "completed" }) ??
      0;
    const before = await exportsDone();
    const res = await fetch(`${server.url}/exports/users/${world.users.user.id}.csv?${Q1}`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${token("user")}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain(".csv");
    expect(await exportsDone()).toBe(before);
  });

  it("other paths under /exports are not routes", async () => {
    for (const path of [`/exports/teams/${world.team.id}`, `/exports/teams/${world.team.id}.pdf`, `/exports/kpis/1.csv`]) {
      expect((await download(path, token("admin"))).status).toBe(404);
    }
  });
});

describe("from and to", () => {
  const path = (query: string) => `/exports/users/${world.users.user.id}.csv?${query}`;

  it.each([
    ["from=2024-13-01", "from"],
    ["from=2024-02-30", "from"],
    ["to=yesterday", "to"],
    ["from=2024-01-01&from=2024-02-01", "from"],
    ["from=2024-03-01&to=2024-02-01", "to"],
    ["from=2024-03-01&to=2024-03-01", "to"],
    ["from=2014-01-01&to=2024-01-02", "to"],
    ["form=2024-01-01", "form"],
  ])("%s → 400 BAD_USER_INPUT naming %s", async (query, field) => {
    const res = await download(path(query), token("user"));
    expect(res.status).toBe(400);
    const [error] = res.json().errors;
    expect(error!.extensions.code).toBe("BAD_USER_INPUT");
    expect(error!.message.startsWith(`${field}: `)).toBe(true);
  });

  it("exactly 10 years is allowed", async () => {
    expect((await download(path("from=2014-01-01&to=2024-01-01"), token("user"))).status).toBe(200);
  });

  it("a bad range of an anonymous caller is still 401", async () => {
    expect((await download(path("from=nope"), null)).status).toBe(401);
  });
});

describe("a client leaving mid-download", () => {
  async function exportMetrics() {
    const text = (await server.running.metrics.render()).body;
    return {
      inProgress: sampleValue(text, "kpi_exports_in_progress", { format: "csv" }) ?? 0,
      aborted: sampleValue(text, "kpi_exports_total", { format: "csv", outcome: "aborted" }) ?? 0,
      rows: sampleValue(text, "kpi_export_rows_total", { format: "csv" }) ?? 0,
    };
  }

  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`never: ${what}`);
  }

  it("stops reading, releases the pool's connections, and the server answers on", async () => {
    const { pool } = server.database;
    const before = await exportMetrics();
    const url = new URL(`/exports/users/${bulkUser.id}.csv?from=2021-01-01&to=2024-01-01`, server.url);
    // A client that takes the first chunk and then reads nothing: the export must wait for it, not run on.
    const req = request(url, { headers: { authorization: `Bearer ${token("admin")}` } });
    const firstChunk = new Promise<void>((resolve, reject) => {
      req.on("response", (res) => {
        expect(res.statusCode).toBe(200);
        res.once("data", () => {
          res.pause();
          resolve();
        });
      });
      req.on("error", reject);
    });
    req.end();
    await firstChunk;
    await eventually(async () => (await exportMetrics()).inProgress === 1, "the export is in progress");
    // Wait until the server is held up by the client: the rows read stop growing.
    let read = -1;
    await eventually(async () => {
      const now = (await exportMetrics()).rows - before.rows;
      const still = now === read;
      read = now;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return still;
    }, "the export waits for the client");
    expect(read).toBeLessThan(BULK_ROWS);
    // The stalled download holds no connection: on the embedded database, whose one session every
    // connection shares, a cursor held open would make this wait for the client.
    expect((await server.gql(`{ me { id } }`, {}, token("user"))).data!.me.id).toBe(String(world.users.user.id));

    req.destroy();
    await eventually(async () => (await exportMetrics()).inProgress === 0, "the export ends");
    const after = await exportMetrics();
    expect(after.aborted - before.aborted).toBe(1);
    expect(after.rows - before.rows).toBeLessThan(BULK_ROWS);
    await eventually(async () => pool.totalCount === pool.idleCount && pool.waitingCount === 0, "every connection is idle");

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const me = await server.gql(`{ me { id } }`, {}, token("admin"));
    expect(me.data!.me.id).toBe(String(world.users.admin.id));
    const again = await download(`/exports/users/${world.users.user.id}.csv?${Q1}`, token("user"));
    expect(csvLines(again.text)).toHaveLength(1 + userLines().length);
  });
});

describe("limits: concurrent downloads and stalled clients", () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ EXPORTS_MAX_CONCURRENT: "1", EXPORTS_IDLE_TIMEOUT_MS: "400" });
  });
  afterAll(() => limited?.stop());

  const bulkUrl = () => new URL(`/exports/users/${bulkUser.id}.csv?from=2021-01-01&to=2024-01-01`, limited.url);

  async function exportCounts() {
    const text = (await limited.running.metrics.render()).body;
    return {
      inProgress: sampleValue(text, "kpi_exports_in_progress", { format: "csv" }) ?? 0,
      aborted: sampleValue(text, "kpi_exports_total", { format: "csv", outcome: "aborted" }) ?? 0,
    };
  }

  it("refuses a download beyond EXPORTS_MAX_CONCURRENT with 429 and Retry-After, and cuts a stalled one after the idle timeout", async () => {
    // A client that takes the first chunk and then reads nothing.
    const stalled = request(bulkUrl(), { headers: { authorization: `Bearer ${token("admin")}` } });
    await new Promise<void>((resolve, reject) => {
      stalled.on("response", (res) => res.once("data", () => (res.pause(), resolve())));
      stalled.on("error", reject);
      stalled.end();
    });
    const refused = await fetch(bulkUrl(), { headers: { authorization: `Bearer ${token("admin")}` } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      "TOO_MANY_REQUESTS",
    );
    // Nothing read for 400 ms: the server cuts the download (counted as aborted), and its slot is free again.
    const cut = await until("the stalled download to be cut", async () => {
      const counts = await exportCounts();
      return counts.inProgress === 0 && counts.aborted === 1 && counts;
    });
    expect(cut).toEqual({ inProgress: 0, aborted: 1 });
    stalled.destroy();
    const next = await fetch(new URL(`/exports/users/${world.users.user.id}.csv?${Q1}`, limited.url), {
      headers: { authorization: `Bearer ${token("user")}` },
    });
    expect(next.status).toBe(200);
    expect(csvLines(await next.text())).toHaveLength(1 + userLines().length);
  });
});

describe("docs/api/exports.md: the BI queries run as written", () => {
  const page = readFileSync(new URL("../../docs/api/exports.md", import.meta.url), "utf8");
  const example = (name: string) => {
    const match = new RegExp(`<!-- example: ${name} -->\\n+\`\`\`graphql\\n([\\s\\S]*?)\`\`\``).exec(page);
    if (!match) throw new Error(`docs/api/exports.md has no example ${name}`);
    return match[1]!;
  };

  it("team monthly scores, as the team's manager", async () => {
    const res = await server.gql(
      example("bi-team-monthly-scores"),
      { teamId: String(world.team.id), from: "2024-01-01", to: "2024-04-01" },
      token("teamManager"),
    );
    expect(res.errors).toBeUndefined();
    const members = res.data!.team.members as Array<{
      user: { id: string };
      kpis: Array<{ kpiDefinition: { name: string }; history: unknown[] }>;
    }>;
    const own = members.find((member) => member.user.id === String(world.users.user.id))!;
    const callsKpi = own.kpis.find((kpi) => kpi.kpiDefinition.name === calls.name)!;
    expect(callsKpi.history).toEqual([
      { periodStart: "2024-03-01", periodEnd: "2024-04-01", actualValue: 8, achievementPercentage: 80 },
      { periodStart: "2024-02-01", periodEnd: "2024-03-01", actualValue: null, achievementPercentage: null },
      { periodStart: "2024-01-01", periodEnd: "2024-02-01", actualValue: 12.5, achievementPercentage: 125 },
    ]);
  });

  it("a user's history, as the user", async () => {
    const res = await server.gql(
      example("bi-user-history"),
      { userId: String(world.users.user.id), from: "2024-01-01", to: "2024-04-01" },
      token("user"),
    );
    expect(res.errors).toBeUndefined();
    const kpis = res.data!.user.kpis as Array<{
      kpiDefinition: { name: string };
      history: Array<{ actualValue: number | null }>;
    }>;
    expect(kpis.find((kpi) => kpi.kpiDefinition.name === rating.name)!.history.map((m) => m.actualValue)).toEqual([-3]);
    expect(kpis.find((kpi) => kpi.kpiDefinition.name === calls.name)!.history).toHaveLength(3);
  });
});
