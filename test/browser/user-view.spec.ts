import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { expectAccessible, expectNoHorizontalScroll, LAPTOP, PHONE } from "./support/checks";
import { DEMO, signInAs } from "./support/sign-in";

/** Calls the demo server's GraphQL API; fails the test on any error. */
async function gql<T>(
  request: APIRequestContext,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await request.post("/graphql", {
    data: { query, variables },
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await response.json();
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data as T;
}

/** A bearer token for a demo person, by name (demoSignIn). */
async function tokenFor(request: APIRequestContext, name: string): Promise<{ id: string; token: string }> {
  const { demoAccounts } = await gql<{ demoAccounts: Array<{ id: string; name: string }> }>(
    request,
    "{ demoAccounts { id name } }",
  );
  const account = demoAccounts.find((a) => a.name === name);
  expect(account, `demo account ${name}`).toBeDefined();
  const { demoSignIn } = await gql<{ demoSignIn: { token: string } }>(
    request,
    "mutation ($userId: ID!) { demoSignIn(userId: $userId) { token } }",
    { userId: account!.id },
  );
  return { id: account!.id, token: demoSignIn.token };
}

interface Assignment {
  id: string;
  kpiDefinition: { name: string; calculationType: string };
  currentMeasurement: { actualValue: number | null } | null;
  forecast: { explanation: string; onTrack: boolean | null } | null;
}

/** A person's active assignments, as they see them. */
async function assignmentsOf(
  request: APIRequestContext,
  name: string,
): Promise<{ id: string; token: string; kpis: Assignment[] }> {
  const { id, token } = await tokenFor(request, name);
  const { user } = await gql<{ user: { kpis: Assignment[] } }>(
    request,
    "query ($id: ID!) { user(id: $id) { kpis { id kpiDefinition { name calculationType } currentMeasurement { actualValue } forecast { explanation onTrack } } } }",
    { id },
    token,
  );
  return { id, token, kpis: user.kpis };
}

const SUPPORT_KPIS = [
  "Average Resolution Time",
  "First Response Time",
  "Customer Satisfaction Score",
  "Cases Resolved",
  "Communication Quality",
];

function card(page: Page, kpiName: string) {
  return page.getByRole("article", { name: kpiName });
}

test.describe("the user view", () => {
  test("a member sees their overall score and KPI cards, and opens a KPI's details", async ({ page, request }) => {
    const sam = await assignmentsOf(request, DEMO.member);
    expect(sam.kpis.map((kpi) => kpi.kpiDefinition.name).sort()).toEqual([...SUPPORT_KPIS].sort());
    await signInAs(page, DEMO.member);
    await expect(page).toHaveURL(/\/me$/);
    await expect(page.getByRole("heading", { level: 1, name: "My KPIs" })).toBeVisible();

    const overall = page.getByRole("region", { name: "Overall score" });
    await expect(overall.getByText(/^\d+(\.\d)? %$/)).toBeVisible();
    await expect(overall.getByText(/On target|Close|Off target/)).toBeVisible();
    // At least one forecast in words (the demo data has several).
    expect(sam.kpis.some((kpi) => kpi.forecast?.onTrack !== null)).toBe(true);

    for (const assignment of sam.kpis) {
      const name = assignment.kpiDefinition.name;
      const kpi = card(page, name);
      await expect(kpi.getByRole("link", { name })).toBeVisible();
      await expect(kpi.getByText(/On target|Close|Off target|No data/)).toBeVisible();
      await expect(kpi.getByText(/of target/)).toBeVisible();
      await expect(kpi.getByText("Achievement")).toBeVisible();
      await expect(kpi.getByText("Weight")).toBeVisible();
      // The sparkline says its values in words.
      await expect(kpi.getByRole("img", { name: new RegExp(`^${name}, last 6 periods, oldest first: `) })).toBeVisible();
      // The forecast sentence, with "On track" or "Not on track" in words.
      await expect(kpi.getByText(assignment.forecast!.explanation, { exact: true })).toBeVisible();
      if (assignment.forecast!.onTrack !== null) {
        await expect(kpi.getByText(assignment.forecast!.onTrack ? /^\W*On track$/ : /^\W*Not on track$/)).toBeVisible();
      }
    }

    await card(page, "Cases Resolved").getByRole("link", { name: "Cases Resolved" }).click();
    await expect(page).toHaveURL(/\/kpis\/\d+$/);
    await expect(page.getByRole("heading", { level: 1, name: `Cases Resolved · ${DEMO.member}` })).toBeVisible();
    await expect(page.getByRole("img", { name: /^Line chart of Cases Resolved over \d+ periods/ })).toBeVisible();
    const history = page.getByRole("table", { name: "Cases Resolved: values per period, newest first" });
    await expect(history.getByRole("columnheader", { name: "Notes" })).toBeVisible();
    await expect(history.getByRole("row")).toHaveCount(7); // a header and six demo months
    const comparison = page.getByRole("region", { name: "Compared with earlier periods" });
    await expect(comparison.getByRole("rowheader", { name: /Previous period/ })).toBeVisible();
    await expect(comparison.getByRole("rowheader", { name: /Same period last year/ })).toBeVisible();
    await expect(comparison.getByText(/\b(up|down) [+−]\d/).first()).toBeVisible();
    const source = page.getByRole("region", { name: "Where the values come from" });
    await expect(source.getByText("Database query")).toBeVisible();
    await expect(source.getByText("Last calculated")).toBeVisible();
    await expect(source.getByRole("time")).toBeVisible();

    await page.getByRole("link", { name: "My KPIs" }).first().click();
    await expect(page).toHaveURL(/\/me$/);
  });

  test("a member cannot open a teammate's page", async ({ page, request }) => {
    const priya = await assignmentsOf(request, DEMO.teammate);
    await signInAs(page, DEMO.member);
    await page.goto(`/people/${priya.id}`);
    await expect(page.getByRole("alert")).toContainText("Not allowed");
    await expect(page.getByText(DEMO.teammate)).toHaveCount(0);
    await expect(page.getByRole("region", { name: "Overall score" })).toHaveCount(0);
    await expect(page.getByRole("article")).toHaveCount(0);

    // Nor one of her KPIs by its address.
    await page.goto(`/kpis/${priya.kpis[0]!.id}`);
    await expect(page.getByRole("alert")).toContainText("Not allowed");
    await expect(page.getByText(DEMO.teammate)).toHaveCount(0);
    await expect(page.getByRole("table")).toHaveCount(0);
  });

  test("a manager sees a member's page under the member's name, and their own empty page", async ({ page, request }) => {
    const sam = await tokenFor(request, DEMO.member);
    await signInAs(page, DEMO.supportManager);
    await page.goto(`/people/${sam.id}`);
    await expect(page.getByRole("heading", { level: 1, name: DEMO.member })).toBeVisible();
    await expect(page.getByRole("region", { name: "Overall score" })).toBeVisible();
    await expect(card(page, "Cases Resolved").getByRole("link", { name: "Cases Resolved" })).toBeVisible();
    await card(page, "Cases Resolved").getByRole("link", { name: "Cases Resolved" }).click();
    await expect(page.getByRole("heading", { level: 1, name: `Cases Resolved · ${DEMO.member}` })).toBeVisible();
    await expect(page.getByRole("link", { name: `${DEMO.member}'s KPIs` })).toHaveAttribute("href", `/people/${sam.id}`);

    await page.goto("/me");
    await expect(page.getByRole("heading", { level: 1, name: "My KPIs" })).toBeVisible();
    await expect(page.getByText("No KPIs assigned yet")).toBeVisible();
    await expect(page.getByRole("article")).toHaveCount(0);
  });

  test("a value the manager records appears on the member's open page without a reload", async ({ page, request }) => {
    const sam = await assignmentsOf(request, DEMO.member);
    const manual = sam.kpis.find((kpi) => kpi.kpiDefinition.calculationType === "MANUAL");
    expect(manual, "a MANUAL KPI of Sam's").toBeDefined();
    const name = manual!.kpiDefinition.name;
    // A value the demo data never has (it rounds to whole numbers) in the current month.
    const value = 3.7;
    const now = new Date();
    const periodStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
    const periodEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);

    await signInAs(page, DEMO.member);
    await expect(card(page, name)).toBeVisible();
    await expect(card(page, name).getByText("3.7 score")).toHaveCount(0);
    await expect(page.getByRole("status").filter({ hasText: "Updated just now" })).toHaveCount(0);
    // The page's subscription is open once it shows data; give the socket a moment to subscribe.
    await page.waitForTimeout(1000);

    const manager = await tokenFor(request, DEMO.supportManager);
    await gql(
      request,
      "mutation ($id: ID!, $input: RecordMeasurementInput!) { recordMeasurement(userKpiId: $id, input: $input) { id } }",
      { id: manual!.id, input: { actualValue: value, periodStart, periodEnd, notes: "<b>Live</b> check from the browser test" } },
      manager.token,
    );

    await expect(card(page, name).getByText("3.7 score", { exact: true })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Updated just now" })).toBeVisible();

    // The detail page shows the note as text, never as HTML.
    await card(page, name).getByRole("link", { name }).click();
    await expect(page.getByRole("cell", { name: "<b>Live</b> check from the browser test" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Where the values come from" }).getByText("Entered by hand")).toBeVisible();
    await expect(
      page.getByRole("region", { name: "Where the values come from" }).getByText(`recorded by ${DEMO.supportManager}`),
    ).toBeVisible();
  });

  for (const [size, viewport] of [
    ["a phone", PHONE],
    ["a laptop", LAPTOP],
  ] as const) {
    test(`both views fit ${size} and are accessible`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await signInAs(page, DEMO.member);
      await expect(card(page, "Cases Resolved").getByRole("img", { name: /last 6 periods/ })).toBeVisible();
      await expectNoHorizontalScroll(page);
      await expectAccessible(page);

      await card(page, "Customer Satisfaction Score").getByRole("link").click();
      await expect(page.getByRole("img", { name: /^Line chart of Customer Satisfaction Score/ })).toBeVisible();
      await expect(page.getByRole("table", { name: /values per period/ })).toBeVisible();
      await expectNoHorizontalScroll(page);
      await expectAccessible(page);
    });
  }
});
