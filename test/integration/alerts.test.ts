import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ensureMeasurementPartitions } from "../../src/db/partitions.js";
import { JOB } from "../../src/jobs/job-names.js";
import type { KpiDefinitionRow, UserKpiRow } from "../../src/db/schema/index.js";
import { addDays, latestCompletedPeriod, shiftPeriod, todayIn, type Period } from "../../src/scoring/periods.js";
import { RECORD } from "../helpers/calculation.js";
import { buildAssignment, buildDefinition } from "../helpers/factories.js";
import { createPrivateDatabase, type PrivateDatabase } from "../helpers/private-database.js";
import { createRoleWorld, type RoleWorld } from "../helpers/roles.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { SubscriptionClients } from "../helpers/subscription-client.js";
import { until } from "../helpers/waiting.js";

/**
 * Alerts over a scripted series of periods (relative to today, so they hold on any day), their
 * deduplication and resolution, and their delivery to a local webhook receiver that fails twice and
 * a local SMTP server. On a database of this file's own, with the server's worker sending.
 */

const WEBHOOK_SECRET = "team-webhook-secret-0123456789";

let database: PrivateDatabase;
let server: TestServer;
let world: RoleWorld;
let admin: string;
let receiver: Server;
let smtp: SMTPServer;
const received: { headers: IncomingHttpHeaders; body: string; answered: number }[] = [];
const mails: { to: string[]; text: string }[] = [];
let failuresLeft = 0;
let failingRule: number | null = null;

let sales: KpiDefinitionRow;
let survey: KpiDefinitionRow;
let salesAssignment: UserKpiRow;
let surveyAssignment: UserKpiRow;

const today = () => todayIn("UTC");
const latest = (): Period => latestCompletedPeriod("monthly", today());
const monthsBack = (n: number): Period => shiftPeriod("monthly", latest(), -(n - 1));

const RULE = `mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id kind threshold periods graceDays category } }`;
const ALERTS = `query($teamId: ID, $status: AlertStatus) { alerts(teamId: $teamId, status: $status) {
  id status periodStart message details rule { id kind } user { id } userKpi { id } acknowledgedBy { id } resolvedAt } }`;
const ACK = `mutation($id: ID!) { acknowledgeAlert(id: $id) { id status acknowledgedAt acknowledgedBy { id } } }`;

function listen(target: Server): Promise<number> {
  return new Promise((resolve) => target.listen(0, "127.0.0.1", () => resolve((target.address() as AddressInfo).port)));
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      // Earlier tests' alerts are still being delivered: only the failing rule's calls fail.
      const ruleId = (JSON.parse(body) as { alert: { rule: { id: number } } }).alert.rule.id;
      const answered = ruleId === failingRule && failuresLeft > 0 ? 500 : 200;
      if (answered === 500) failuresLeft--;
      received.push({ headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    onData(stream, session, callback) {
      let text = "";
      stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      stream.on("end", () => {
        mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), text });
        callback();
      });
    },
  });
  // SMTPServer wraps a net.Server: its address is the port to send to.
  const [webhookPort, smtpPort] = await Promise.all([listen(receiver), listen((smtp as unknown as { server: Server }).server)]);
  database = await createPrivateDatabase();
  server = await startTestServer({
    DATABASE_URL: database.url,
    JOBS_ENABLED: "true",
    JOBS_PROCESS_EVERY_MS: "100",
    KPI_TIMEZONE: "UTC",
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    ALERT_RETRY_DELAY_MS: "100",
    ALERT_MAX_ATTEMPTS: "4",
    // The webhook receiver is on 127.0.0.1, which team webhooks may only reach when allowed.
    OUTBOUND_ALLOWED_NETWORKS: "127.0.0.1",
  });
  world = await createRoleWorld(server);
  admin = world.tokens.admin!;
  const db = server.database.db;
  sales = await buildDefinition(db, { category: "sales", unit: "count", dataSource: { type: "manual" } });
  survey = await buildDefinition(db, { category: "quality", dataSource: { type: "manual" } });
  salesAssignment = await buildAssignment(db, { user: world.users.user, definition: sales });
  surveyAssignment = await buildAssignment(db, { user: world.users.user, definition: survey });
  const settings = await server.gql(
    `mutation($teamId: ID!, $input: TeamNotificationsInput!) { setTeamNotifications(teamId: $teamId, input: $input) { webhookUrl hasWebhookSecret emails } }`,
    {
      teamId: String(world.team.id),
      input: { webhookUrl: `http://127.0.0.1:${webhookPort}/alerts`, webhookSecret: WEBHOOK_SECRET, emails: ["Ops@Example.com"] },
    },
    admin,
  );
  expect(settings.errors).toBeUndefined();
  expect(settings.data!.setTeamNotifications).toEqual({
    webhookUrl: `http://127.0.0.1:${webhookPort}/alerts`,
    hasWebhookSecret: true,
    emails: ["ops@example.com"],
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await database?.drop();
  receiver?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

beforeEach(async () => {
  await server.database.pool.query("UPDATE alert_rules SET is_active = false");
  received.length = 0;
  mails.length = 0;
  failuresLeft = 0;
});

/** An upsert, not buildMeasurement: tests move one period's achievement up and down. */
async function setMeasurement(assignment: UserKpiRow, period: Period, achievement: number) {
  await ensureMeasurementPartitions(server.database.db, period.start, period.start);
  await server.database.pool.query(
    `INSERT INTO kpi_measurements (user_kpi_id, period_start, period_end, actual_value, target_value, achievement_percentage)
     VALUES ($1, $2, $3, $4, 100, $4)
     ON CONFLICT (user_kpi_id, period_start, period_end) DO UPDATE SET actual_value = $4, achievement_percentage = $4`,
    [assignment.id, period.start, period.end, achievement],
  );
}

async function createRule(input: Record<string, unknown>): Promise<string> {
  const res = await server.gql(RULE, { input: { name: `rule ${Math.random()}`, ...input } }, admin);
  expect(res.errors).toBeUndefined();
  return res.data!.createAlertRule.id;
}

const evaluate = () => server.running.services.jobs.evaluateAlerts.run(null);

async function alertsOf(ruleId: string, token = admin) {
  const res = await server.gql(ALERTS, { teamId: String(world.team.id) }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.alerts.filter((alert: { rule: { id: string } }) => alert.rule.id === ruleId);
}

describe("BELOW_TARGET", () => {
  it("raises once per streak, resolves when the latest period meets the threshold, and raises again on a new streak", async () => {
    const rule = await createRule({ kind: "BELOW_TARGET", category: "sales" }); // defaults: 80 % for 3 periods
    // Two periods below 80: no alert yet.
    await setMeasurement(salesAssignment, monthsBack(3), 90);
    await setMeasurement(salesAssignment, monthsBack(2), 70);
    await setMeasurement(salesAssignment, monthsBack(1), 60);
    expect((await evaluate()).raised).toEqual([]);

    // The third in a row: raised, with the figures; evaluating again (every day) raises nothing new.
    await setMeasurement(salesAssignment, monthsBack(3), 75);
    const first = await evaluate();
    expect(first.raised).toHaveLength(1);
    expect((await evaluate()).raised).toEqual([]);
    let alerts = await alertsOf(rule);
    expect(alerts).toEqual([
      expect.objectContaining({
        status: "OPEN",
        periodStart: monthsBack(3).start,
        user: { id: String(world.users.user.id) },
        userKpi: { id: String(salesAssignment.id) },
        message: `${sales.name}: achievement below 80% for 3 periods in a row`,
        details: {
          threshold: 80,
          periods: 3,
          achievements: [
            { periodStart: monthsBack(3).start, achievement: 75 },
            { periodStart: monthsBack(2).start, achievement: 70 },
            { periodStart: monthsBack(1).start, achievement: 60 },
          ],
        },
      }),
    ]);
    // The survey KPI (category quality) is out of the rule's scope, however low.
    await setMeasurement(surveyAssignment, monthsBack(1), 10);
    expect((await evaluate()).raised).toEqual([]);

    // The latest period meets the threshold: resolved by itself.
    await setMeasurement(salesAssignment, monthsBack(1), 85);
    expect((await evaluate()).resolved).toEqual(first.raised);
    alerts = await alertsOf(rule);
    expect(alerts).toEqual([expect.objectContaining({ status: "RESOLVED", resolvedAt: expect.any(String) })]);

    // Below again for three periods: a new streak, a new alert.
    await setMeasurement(salesAssignment, monthsBack(1), 50);
    expect((await evaluate()).raised).toHaveLength(1);
    expect((await alertsOf(rule)).map((alert: { status: string }) => alert.status).sort()).toEqual(["OPEN", "RESOLVED"]);
  });
});

describe("MISSING_MEASUREMENT and SCORE_DROP", () => {
  it("raises for an ended period nobody recorded, and resolves once it is recorded", async () => {
    const rule = await createRule({ kind: "MISSING_MEASUREMENT", kpiDefinitionId: String(survey.id) });
    await server.database.pool.query("DELETE FROM kpi_measurements WHERE user_kpi_id = $1 AND period_start = $2", [
      surveyAssignment.id,
      latest().start,
    ]);
    const raised = await evaluate();
    expect(raised.raised).toHaveLength(1);
    expect(await alertsOf(rule)).toEqual([
      expect.objectContaining({ status: "OPEN", periodStart: latest().start, userKpi: { id: String(surveyAssignment.id) } }),
    ]);
    await setMeasurement(surveyAssignment, latest(), 95);
    expect((await evaluate()).resolved).toEqual(raised.raised);
  });

  it("raises when the overall score falls more than the threshold since the previous snapshot", async () => {
    const rule = await createRule({ kind: "SCORE_DROP", threshold: 10 });
    const snapshot = (date: string, score: number) =>
      server.database.pool.query(
        `INSERT INTO kpi_snapshots (user_id, snapshot_date, overall_score) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, snapshot_date) DO UPDATE SET overall_score = $3`,
        [world.users.user.id, date, score],
      );
    await snapshot(addDays(today(), -1), 80);
    await snapshot(today(), 75); // 5 points: not enough
    expect((await evaluate()).raised).toEqual([]);
    await snapshot(today(), 65); // 15 points
    const raised = await evaluate();
    expect(raised.raised).toHaveLength(1);
    expect(await alertsOf(rule)).toEqual([
      expect.objectContaining({
        userKpi: null,
        message: "Overall score fell from 80.00 to 65.00 (more than 10 points)",
        details: expect.objectContaining({ previous: 80, latest: 65, threshold: 10 }),
      }),
    ]);
    await snapshot(today(), 78);
    expect((await evaluate()).resolved).toEqual(raised.raised);
  });
});

describe("notifications", () => {
  it("posts a signed webhook, retried after two failures with the same delivery id, and e-mails the manager and the team's addresses", async () => {
    const rule = await createRule({ kind: "BELOW_TARGET", threshold: 50, periods: 1, kpiDefinitionId: String(survey.id) });
    failingRule = Number(rule);
    failuresLeft = 2;
    await setMeasurement(surveyAssignment, latest(), 20);
    const { raised } = await evaluate();
    expect(raised).toHaveLength(1);

    const ofRule = () => received.filter((call) => JSON.parse(call.body).alert.rule.id === Number(rule));
    await until("the webhook's third attempt", async () => ofRule().length >= 3);
    const calls = ofRule();
    expect(calls.map((call) => call.answered)).toEqual([500, 500, 200]);
    const deliveryIds = new Set(calls.map((call) => call.headers["x-kpi-delivery"]));
    expect(deliveryIds.size).toBe(1);
    for (const call of calls) {
      const expected = `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(call.body).digest("hex")}`;
      expect(call.headers["x-hub-signature-256"]).toBe(expected);
    }
    const payload = JSON.parse(calls[2]!.body);
    expect(payload).toMatchObject({
      type: "alert.raised",
      alert: {
        id: raised[0],
        kind: "below_target",
        rule: { id: Number(rule) },
        user: { id: world.users.user.id },
        kpi: { userKpiId: surveyAssignment.id, kpiDefinitionId: survey.id, name: survey.name },
        periodStart: latest().start,
      },
    });

    const deliveries = await until("every delivery sent", async () => {
      const { rows } = await server.database.pool.query(
        "SELECT channel, target, status, attempts FROM alert_deliveries WHERE alert_id = $1 ORDER BY channel, target",
        [raised[0]],
      );
      return rows.every((row) => row.status === "sent") && rows;
    });
    expect(deliveries).toEqual([
      { channel: "email", target: "ops@example.com", status: "sent", attempts: 1 },
      { channel: "email", target: world.users.teamManager.email, status: "sent", attempts: 1 },
      { channel: "webhook", target: expect.stringMatching(/\/alerts$/), status: "sent", attempts: 3 },
    ]);
    const emailIds = (
      await server.database.pool.query("SELECT id FROM alert_deliveries WHERE alert_id = $1 AND channel = 'email'", [raised[0]])
    ).rows.map((row) => String(row.id));
    const ours = mails.filter((mail) => emailIds.includes(/^x-kpi-delivery: *(\d+)/im.exec(mail.text)?.[1] ?? ""));
    expect(ours.flatMap((mail) => mail.to).sort()).toEqual(["ops@example.com", world.users.teamManager.email].sort());
    expect(ours[0]!.text).toContain(`Subject: KPI alert: ${world.users.user.name}:`);
  });

  it("evaluates the rules after the snapshot job (which every run queues when it ends)", async () => {
    const rule = await createRule({ kind: "BELOW_TARGET", threshold: 40, periods: 1, kpiDefinitionId: String(survey.id) });
    await setMeasurement(surveyAssignment, latest(), 15);
    await server.running.services.jobs.enqueue(JOB.snapshot, {});
    const alerts = await until("the alert raised after the snapshots", async () => {
      const list = await alertsOf(rule);
      return list.length === 1 && list;
    });
    expect(alerts[0]).toMatchObject({ status: "OPEN", userKpi: { id: String(surveyAssignment.id) } });
  });

  it("checks the user's rules after a manual entry, in the background", async () => {
    const rule = await createRule({ kind: "BELOW_TARGET", threshold: 50, periods: 1, kpiDefinitionId: String(sales.id) });
    const res = await server.gql(
      RECORD,
      { userKpiId: String(salesAssignment.id), input: { periodStart: latest().start, periodEnd: latest().end, actualValue: 10 } },
      admin,
    );
    expect(res.errors).toBeUndefined();
    const alerts = await until("the alert raised by the manual entry", async () => {
      const list = await alertsOf(rule);
      return list.length === 1 && list;
    });
    expect(alerts[0]).toMatchObject({ status: "OPEN", userKpi: { id: String(salesAssignment.id) } });
  });
});

describe("who sees and acknowledges alerts", () => {
  let alertId: string;

  beforeAll(async () => {
    const rule = await createRule({ kind: "BELOW_TARGET", threshold: 999, periods: 1, kpiDefinitionId: String(survey.id) });
    await setMeasurement(surveyAssignment, latest(), 20);
    await evaluate();
    alertId = (await alertsOf(rule))[0].id;
  });

  it("shows managers only their teams' alerts, and users none", async () => {
    const mine = await server.gql(ALERTS, {}, world.tokens.teamManager);
    expect(mine.errors).toBeUndefined();
    expect(mine.data!.alerts.map((alert: { id: string }) => alert.id)).toContain(alertId);
    const theirs = await server.gql(ALERTS, {}, world.tokens.otherManager);
    expect(theirs.data!.alerts).toEqual([]);
    const foreignTeam = await server.gql(ALERTS, { teamId: String(world.team.id) }, world.tokens.otherManager);
    expect(foreignTeam.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    for (const role of ["user", "otherUser"] as const) {
      const res = await server.gql(ALERTS, {}, world.tokens[role]);
      expect(res.errors?.[0]?.extensions?.code, role).toBe("FORBIDDEN");
    }
    expect((await server.gql(ALERTS, {})).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("lets the team's manager acknowledge, idempotently; others are refused", async () => {
    for (const role of ["user", "otherManager"] as const) {
      const res = await server.gql(ACK, { id: alertId }, world.tokens[role]);
      expect(res.errors?.[0]?.extensions?.code, role).toBe("FORBIDDEN");
    }
    const first = await server.gql(ACK, { id: alertId }, world.tokens.teamManager);
    expect(first.data!.acknowledgeAlert).toMatchObject({
      status: "ACKNOWLEDGED",
      acknowledgedBy: { id: String(world.users.teamManager.id) },
    });
    const again = await server.gql(ACK, { id: alertId }, world.tokens.teamManager);
    expect(again.data!.acknowledgeAlert.acknowledgedAt).toBe(first.data!.acknowledgeAlert.acknowledgedAt);
    // Acknowledged, it is not raised again while the condition holds.
    await server.database.pool.query("UPDATE alert_rules SET is_active = true WHERE threshold = 999");
    expect((await evaluate()).raised).toEqual([]);
    const unknown = await server.gql(ACK, { id: "99999999" }, admin);
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const unknownForManager = await server.gql(ACK, { id: "99999999" }, world.tokens.teamManager);
    expect(unknownForManager.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("alertRaised (live)", () => {
  const SUBSCRIBE = `subscription($teamId: ID!) { alertRaised(teamId: $teamId) { id status message user { id } userKpi { id } } }`;
  const clients = new SubscriptionClients();
  afterAll(() => clients.closeAll());

  const subscribe = (role: keyof RoleWorld["tokens"]) =>
    clients.subscribe(server, world.tokens[role], SUBSCRIBE, { teamId: String(world.team.id) });

  it("tells the team's manager of an alert about a member, and never of another team's", async () => {
    const feed = subscribe("teamManager");
    await vi.waitFor(() => expect(server.running.services.live.listenerCount("alertRaised", world.team.id)).toBe(1), {
      timeout: 5_000,
    });
    const otherAssignment = await buildAssignment(server.database.db, { user: world.users.otherUser, definition: survey });
    await createRule({ kind: "BELOW_TARGET", threshold: 60, periods: 1, kpiDefinitionId: String(survey.id) });
    await setMeasurement(surveyAssignment, latest(), 30);
    await setMeasurement(otherAssignment, latest(), 30);
    const { raised } = await evaluate();
    expect(raised).toHaveLength(2);
    await vi.waitFor(() => expect(feed.results.length).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a wrong second event to arrive
    expect(feed.results).toEqual([
      {
        data: {
          alertRaised: {
            id: expect.any(String),
            status: "OPEN",
            message: `${survey.name}: achievement below 60% for 1 periods in a row`,
            user: { id: String(world.users.user.id) },
            userKpi: { id: String(surveyAssignment.id) },
          },
        },
      },
    ]);
    expect(raised).toContain(Number(feed.results[0]!.data!.alertRaised.id));
  });

  it.each([
    ["user", "FORBIDDEN"],
    ["otherManager", "FORBIDDEN"],
    ["anonymous", "UNAUTHENTICATED"],
  ] as const)("refuses %s: %s", async (role, code) => {
    const feed = subscribe(role);
    await vi.waitFor(() => expect(feed.isOpen()).toBe(false), { timeout: 10_000 });
    expect(feed.results[0]?.errors?.[0]?.extensions?.code).toBe(code);
  });
});

describe("alert rules", () => {
  it("are for admins, and refuse settings their kind does not use, changing nothing", async () => {
    const count = async () => (await server.database.pool.query("SELECT count(*)::int AS n FROM alert_rules")).rows[0].n;
    const before = await count();
    const refused: [Record<string, unknown>, string][] = [
      [{ kind: "BELOW_TARGET", threshold: 0 }, "BAD_USER_INPUT"],
      [{ kind: "BELOW_TARGET", periods: 25 }, "BAD_USER_INPUT"],
      [{ kind: "BELOW_TARGET", graceDays: 2 }, "BAD_USER_INPUT"],
      [{ kind: "BELOW_TARGET", category: "sales", kpiDefinitionId: String(sales.id) }, "BAD_USER_INPUT"],
      [{ kind: "MISSING_MEASUREMENT", threshold: 3 }, "BAD_USER_INPUT"],
      [{ kind: "MISSING_MEASUREMENT", graceDays: 91 }, "BAD_USER_INPUT"],
      [{ kind: "SCORE_DROP", category: "sales" }, "BAD_USER_INPUT"],
      [{ kind: "SCORE_DROP", threshold: 101 }, "BAD_USER_INPUT"],
      [{ kind: "BELOW_TARGET", kpiDefinitionId: "99999999" }, "NOT_FOUND"],
      [{ kind: "BELOW_TARGET", name: "  " }, "BAD_USER_INPUT"],
    ];
    for (const [input, code] of refused) {
      const res = await server.gql(RULE, { input: { name: "r", ...input } }, admin);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe(code);
    }
    for (const role of ["user", "teamManager"] as const) {
      const res = await server.gql(RULE, { input: { name: "r", kind: "SCORE_DROP" } }, world.tokens[role]);
      expect(res.errors?.[0]?.extensions?.code, role).toBe("FORBIDDEN");
    }
    expect(await count()).toBe(before);
    const created = await server.gql(RULE, { input: { name: "missing", kind: "MISSING_MEASUREMENT", graceDays: 3 } }, admin);
    expect(created.data!.createAlertRule).toMatchObject({
      kind: "MISSING_MEASUREMENT",
      graceDays: 3,
      threshold: null,
      periods: null,
    });
  });
});
