import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertNotice } from "../../src/modules/alert/alert-delivery.store.js";
import { Notifier } from "../../src/modules/alert/alert-notifier.js";
import { PUBLIC_ONLY } from "../../src/lib/outbound-policy.js";
import { startServerWithRoles, type RoleWorld } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

/**
 * URLs an admin types (team webhooks, HTTP data sources) may not lead to loopback, private,
 * link-local or metadata addresses unless OUTBOUND_ALLOWED_NETWORKS lists their network: a literal
 * address is refused when saved (here), names when connecting (adapters.test.ts, and the webhook
 * sender below). An admin token is used throughout: a phished admin account is the threat.
 */

const INTERNAL_URLS = [
  "http://169.254.169.254/latest/meta-data/",
  "http://[fd00:ec2::254]/latest/meta-data/",
  "http://[::ffff:169.254.169.254]/latest/meta-data/",
  "http://127.0.0.1:5432/",
  "http://[::1]/",
  "http://localhost/",
  "http://api.localhost/",
  "http://10.1.2.3/hook",
  "http://192.168.0.10/hook",
  "http://0.0.0.0/",
  "http://2130706433/",
];

const SET_NOTIFICATIONS = `mutation($teamId: ID!, $input: TeamNotificationsInput!) {
  setTeamNotifications(teamId: $teamId, input: $input) { webhookUrl }
}`;
const NOTIFICATIONS = `query($id: ID!) { team(id: $id) { notificationSettings { webhookUrl } } }`;
const CREATE_DEFINITION = `mutation($input: CreateKpiDefinitionInput!) { createKpiDefinition(input: $input) { id } }`;

const httpDefinition = (url: string) => ({
  name: `HTTP KPI ${url}`,
  calculationType: "API",
  aggregationPeriod: "MONTHLY",
  targetType: "HIGHER_BETTER",
  dataSource: { type: "http", url, select: "total" },
});

describe("with the default policy (public addresses only)", () => {
  let server: TestServer;
  let world: RoleWorld;
  let admin: string;
  beforeAll(async () => {
    ({ server, world, admin } = await startServerWithRoles());
  });
  afterAll(() => server?.stop());

  it("refuses team webhooks at internal addresses, and changes nothing", async () => {
    const teamId = String(world.team.id);
    const saved = await server.gql(SET_NOTIFICATIONS, { teamId, input: { webhookUrl: "https://hooks.example.com/kpi" } }, admin);
    expect(saved.errors).toBeUndefined();
    for (const webhookUrl of INTERNAL_URLS) {
      const res = await server.gql(SET_NOTIFICATIONS, { teamId, input: { webhookUrl } }, admin);
      expect(res.errors?.[0]?.extensions?.code, webhookUrl).toBe("BAD_USER_INPUT");
      expect(res.errors![0]!.message).toMatch(/webhookUrl.*OUTBOUND_ALLOWED_NETWORKS/);
    }
    const after = await server.gql(NOTIFICATIONS, { id: teamId }, admin);
    expect(after.data!.team.notificationSettings.webhookUrl).toBe("https://hooks.example.com/kpi");
  });

  it("refuses HTTP sources at internal addresses, and changes nothing", async () => {
    for (const url of INTERNAL_URLS) {
      const created = await server.gql(CREATE_DEFINITION, { input: httpDefinition(url) }, admin);
      expect(created.errors?.[0]?.extensions?.code, url).toBe("BAD_USER_INPUT");
      expect(created.errors![0]!.message).toMatch(/dataSource\.url.*OUTBOUND_ALLOWED_NETWORKS/);
    }
    const [{ count }] = (
      await server.database.pool.query(`SELECT count(*)::int AS count FROM kpi_definitions WHERE name LIKE 'HTTP KPI %'`)
    ).rows as [{ count: number }];
    expect(count).toBe(0);
  });

  it("sends no webhook to an internal address, even one saved before the policy changed", async () => {
    let received = 0;
    const receiver: Server = createServer((_req, res) => {
      received++;
      res.end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const notice = {
      deliveryId: 1,
      channel: "webhook" as const,
      target,
      attempts: 0,
      status: "pending",
      webhookSecret: null,
      alert: {
        id: 1,
        status: "open",
        kind: "below_target",
        rule: { id: 1, name: "Below target" },
        user: { id: 1, name: "Ann", email: "ann@example.com" },
        kpi: null,
        periodStart: "2026-11-01",
        message: "below target",
        details: {},
        raisedAt: "2026-12-01T00:00:00Z",
      },
    } satisfies AlertNotice;
    try {
      const settings = { emailFrom: "kpi@example.com", timeoutMs: 2_000 };
      await expect(new Notifier({ ...settings, outbound: PUBLIC_ONLY }).send(notice)).rejects.toThrow(
        /refused to connect to 127\.0\.0\.1/,
      );
      expect(received).toBe(0);
      await new Notifier({ ...settings, outbound: { allowedNetworks: ["127.0.0.1"] } }).send(notice);
      expect(received).toBe(1);
    } finally {
      receiver.close();
    }
  });
});

describe("with OUTBOUND_ALLOWED_NETWORKS=127.0.0.0/8 (an on-premises deployment)", () => {
  let server: TestServer;
  let world: RoleWorld;
  let admin: string;
  beforeAll(async () => {
    ({ server, world, admin } = await startServerWithRoles({ OUTBOUND_ALLOWED_NETWORKS: "127.0.0.0/8" }));
  });
  afterAll(() => server?.stop());

  it("accepts the allowed network and still refuses the others", async () => {
    const teamId = String(world.otherTeam.id);
    for (const webhookUrl of ["http://127.0.0.1:8080/hook", "http://localhost:8080/hook"]) {
      const res = await server.gql(SET_NOTIFICATIONS, { teamId, input: { webhookUrl } }, admin);
      expect(res.errors, webhookUrl).toBeUndefined();
    }
    for (const webhookUrl of ["http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/hook", "http://[::1]/"]) {
      const res = await server.gql(SET_NOTIFICATIONS, { teamId, input: { webhookUrl } }, admin);
      expect(res.errors?.[0]?.extensions?.code, webhookUrl).toBe("BAD_USER_INPUT");
    }
  });
});
