import { readFile } from "node:fs/promises";
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { expectAccessible, expectNoHorizontalScroll, LAPTOP, PHONE } from "./support/checks";
import { DEMO, signInAs } from "./support/sign-in";

/**
 * The manager's team view (/teams, /teams/:id) on the demo server. These journeys change the
 * Sales team only (Diego Sales-Lead's): the other spec files use Customer Support and Sam Carter.
 */

const SALES = "Sales";
const MEMBERS = ["Elena Petrova", "Kwame Mensah", "Olivia Brown", "Tom Fischer"];
const MANUAL_KPI = "Client Relationship Quality"; // MANUAL, 1 to 5, target 4 for everyone in Sales

async function openSales(page: Page, who: string = DEMO.salesManager): Promise<void> {
  await signInAs(page, who);
  await page.goto("/teams");
  await page.getByRole("link", { name: SALES, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: SALES })).toBeVisible();
  await expect(membersTable(page)).toBeVisible();
}

function membersTable(page: Page): Locator {
  return page.getByRole("table", { name: "Members and their KPIs" });
}

/** The member names down the table, in the order shown. */
async function memberOrder(page: Page): Promise<string[]> {
  return membersTable(page).getByRole("link").allTextContents();
}

function memberRow(page: Page, name: string): Locator {
  return membersTable(page)
    .getByRole("row")
    .filter({ has: page.getByRole("link", { name, exact: true }) });
}

/** A bearer token for a demo person, from the API as any client gets one. */
async function tokenFor(request: APIRequestContext, name: string): Promise<string> {
  const accounts = await graphql(request, null, "{ demoAccounts { id name } }");
  const id = (accounts.demoAccounts as Array<{ id: string; name: string }>).find((account) => account.name === name)!.id;
  const session = await graphql(request, null, "mutation ($id: ID!) { demoSignIn(userId: $id) { token } }", { id });
  return (session.demoSignIn as { token: string }).token;
}

async function graphql(
  request: APIRequestContext,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response = await request.post("/graphql", {
    data: { query, variables },
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await response.json();
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data;
}

test.describe("teams list", () => {
  test("the manager sees their team with its manager, member count and average score, and opens it", async ({ page }) => {
    await signInAs(page, DEMO.salesManager);
    await page.goto("/teams");
    const teams = page.getByRole("list", { name: "Teams" });
    await expect(teams.getByRole("listitem")).toHaveCount(1);
    const sales = teams.getByRole("listitem").filter({ hasText: SALES });
    await expect(sales).toContainText("Diego Sales-Lead");
    await expect(sales).toContainText("4 members");
    await expect(sales).toContainText(/\d+(\.\d)? %/);
    await expect(sales).toContainText(/On target|Close|Off target|No data/);
    await sales.getByRole("link", { name: SALES }).click();
    await expect(page).toHaveURL(/\/teams\/\d+$/);
    await expect(page.getByRole("heading", { level: 1, name: SALES })).toBeVisible();
  });

  test("an admin sees every team", async ({ page }) => {
    await signInAs(page, DEMO.admin);
    await page.goto("/teams");
    const teams = page.getByRole("list", { name: "Teams" });
    for (const name of ["Customer Support", SALES, "Operations"]) {
      await expect(teams.getByRole("link", { name, exact: true })).toBeVisible();
    }
  });
});

test.describe("team view", () => {
  test("shows the team's averages, a sortable and filterable members table, and the chart with its figures", async ({ page }) => {
    await openSales(page);

    const averages = page.getByRole("region", { name: "Team averages" });
    await expect(averages.getByText("Average overall score")).toBeVisible();
    const perKpi = averages.getByRole("list", { name: "Average per KPI" }).getByRole("listitem");
    await expect(perKpi).toHaveCount(5);
    await expect(perKpi.filter({ hasText: MANUAL_KPI })).toContainText(/On target|Close|Off target|No data/);

    // One row per member, one column per KPI of the team, names linking to each person's page.
    await expect(membersTable(page).getByRole("columnheader")).toHaveCount(2 + 5);
    expect(await memberOrder(page)).toEqual(MEMBERS);
    await expect(membersTable(page).getByRole("link", { name: "Tom Fischer" })).toHaveAttribute("href", /^\/people\/\d+$/);

    // Sorting: by name the other way, then by overall score.
    await membersTable(page).getByRole("button", { name: "Member" }).click();
    await expect(membersTable(page).getByRole("columnheader", { name: "Member" })).toHaveAttribute("aria-sort", "descending");
    expect(await memberOrder(page)).toEqual([...MEMBERS].reverse());
    await membersTable(page).getByRole("button", { name: "Overall score" }).click();
    const scoreHeader = membersTable(page).getByRole("columnheader", { name: "Overall score" });
    await expect(scoreHeader).toHaveAttribute("aria-sort", /ascending|descending/);
    const direction = await scoreHeader.getAttribute("aria-sort");
    const scores: number[] = [];
    for (const name of await memberOrder(page)) {
      const text = await memberRow(page, name).getByRole("cell").nth(1).textContent();
      scores.push(Number(/([\d.]+) %/.exec(text ?? "")![1]));
    }
    const sorted = [...scores].sort((a, b) => (direction === "ascending" ? a - b : b - a));
    expect(scores).toEqual(sorted);
    expect(new Set(scores).size).toBeGreaterThan(1);

    // Filtering narrows the rows.
    await page.getByRole("searchbox", { name: "Filter members" }).fill("Tom");
    expect(await memberOrder(page)).toEqual(["Tom Fischer"]);
    await page.getByRole("searchbox", { name: "Filter members" }).fill("");
    await expect(membersTable(page).getByRole("link")).toHaveCount(4);

    // The chart, and its figures as text.
    const chart = page.getByRole("img", { name: /average overall score by month/ });
    await expect(chart).toBeVisible();
    await expect(chart.locator("svg")).toBeVisible();
    await page.getByText("Show the figures").click();
    const figures = page.getByRole("table", { name: "Team average overall score by month" });
    await expect(figures.getByRole("row")).toHaveCount(1 + 6);
  });

  test("the manager records a manual value: out of range is refused beside the field, a valid one shows at once", async ({
    page,
  }) => {
    await openSales(page);
    const row = memberRow(page, "Tom Fischer");
    await expect(row).not.toContainText("2.5 score");

    await row.getByRole("button", { name: `Record value: ${MANUAL_KPI}, Tom Fischer` }).click();
    const dialog = page.getByRole("dialog", { name: `Record ${MANUAL_KPI}` });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByText("Between 1 and 5")).toBeVisible();
    // The period in words, from the day picked (the latest complete month by default).
    await expect(dialog.getByText(/^Period: [A-Z][a-z]{2} \d{4} \(/)).toBeVisible();

    const value = dialog.getByRole("spinbutton", { name: "Value" });
    await value.fill("9");
    await dialog.getByRole("button", { name: "Save value" }).click();
    await expect(dialog.getByRole("alert")).toContainText("between 1 and 5");
    await expect(value).toHaveAttribute("aria-invalid", "true");
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await expect(row).not.toContainText("9 score");

    await row.getByRole("button", { name: `Record value: ${MANUAL_KPI}, Tom Fischer` }).click();
    await dialog.getByRole("spinbutton", { name: "Value" }).fill("2.5");
    await dialog.getByRole("textbox", { name: "Notes (optional)" }).fill("Quarterly review <b>not bold</b>");
    await dialog.getByRole("button", { name: "Save value" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status").filter({ hasText: "Recorded 2.5 score" })).toContainText("Tom Fischer");
    // Target 4: 2.5 is 62.5 %, off target, in words.
    await expect(row).toContainText("2.5 score");
    await expect(row).toContainText("62.5 %");
    await expect(row).toContainText("Off target");
  });

  test("the server's validation error shows beside the field", async ({ page }) => {
    await openSales(page);
    await memberRow(page, "Kwame Mensah")
      .getByRole("button", { name: `Record value: ${MANUAL_KPI}, Kwame Mensah` })
      .click();
    const dialog = page.getByRole("dialog", { name: `Record ${MANUAL_KPI}` });
    await dialog.getByRole("spinbutton", { name: "Value" }).fill("3");
    // A day before the assignment started: the client leaves that check to the server, whose
    // BAD_USER_INPUT (field periodStart) shows beside the date.
    const day = dialog.getByLabel("A day in the period");
    await day.fill("2026-01-15");
    await dialog.getByRole("button", { name: "Save value" }).click();
    await expect(day).toHaveAttribute("aria-invalid", "true");
    await expect(dialog.getByRole("alert")).toContainText("outside the assignment");
  });

  test("a value the manager records appears live on the member's page in another browser", async ({ page, browser }) => {
    const memberContext = await browser.newContext({ viewport: LAPTOP });
    const memberPage = await memberContext.newPage();
    await signInAs(memberPage, "Olivia Brown");
    await memberPage.goto("/me");
    await expect(memberPage.getByText(MANUAL_KPI).first()).toBeVisible();

    await openSales(page);
    await memberRow(page, "Olivia Brown")
      .getByRole("button", { name: `Record value: ${MANUAL_KPI}, Olivia Brown` })
      .click();
    const dialog = page.getByRole("dialog", { name: `Record ${MANUAL_KPI}` });
    await dialog.getByRole("spinbutton", { name: "Value" }).fill("3.5");
    await dialog.getByRole("button", { name: "Save value" }).click();
    await expect(memberRow(page, "Olivia Brown")).toContainText("3.5 score");

    // THE LIVE CHECK: the member's page, not reloaded, shows the new value (measurementRecorded).
    await expect(memberPage.getByText("3.5 score").first()).toBeVisible();
    await memberContext.close();
  });

  test("the manager assigns a KPI to a member and to the whole team, and sees what was created and what was already there", async ({
    page,
  }) => {
    await openSales(page);

    await page.getByRole("button", { name: "Assign a KPI to a member" }).click();
    let dialog = page.getByRole("dialog", { name: "Assign a KPI to a member" });
    await dialog.getByRole("combobox", { name: "Member" }).selectOption({ label: "Kwame Mensah" });
    await dialog.getByRole("combobox", { name: "KPI" }).selectOption({ label: "Process Efficiency" });
    await dialog.getByRole("spinbutton", { name: "Target" }).fill("90");
    await dialog.getByRole("spinbutton", { name: "Weight" }).fill("10");
    await dialog.getByRole("button", { name: "Assign", exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status").filter({ hasText: "Process Efficiency assigned to Kwame Mensah" })).toBeVisible();
    await expect(membersTable(page).getByRole("columnheader", { name: "Process Efficiency" })).toBeVisible();

    const bulk = async () => {
      await page.getByRole("button", { name: "Assign a KPI to the whole team" }).click();
      dialog = page.getByRole("dialog", { name: "Assign a KPI to the whole team" });
      await dialog.getByRole("combobox", { name: "KPI" }).selectOption({ label: "Team Collaboration" });
      await dialog.getByRole("spinbutton", { name: "Target" }).fill("4");
      await dialog.getByRole("spinbutton", { name: "Weight" }).fill("10");
      await dialog.getByRole("button", { name: "Assign to everyone" }).click();
      await expect(dialog).toBeHidden();
    };
    await bulk();
    const outcome = page.getByRole("status").filter({ hasText: "Team Collaboration from" });
    await expect(outcome).toContainText("4 created, 0 already there");
    await expect(outcome).toContainText("Created for:");
    for (const name of MEMBERS) await expect(outcome).toContainText(name);
    await expect(membersTable(page).getByRole("columnheader", { name: "Team Collaboration" })).toBeVisible();

    await bulk();
    await expect(outcome).toContainText("0 created, 4 already there");
    await expect(outcome).toContainText("Already there for:");
    await expect(outcome).not.toContainText("Created for:");
  });

  test("open alerts arrive live, are announced, and can be acknowledged", async ({ page, request }) => {
    // Watch the page's subscription socket from before it opens: accepted, and alertRaised asked for.
    let accepted = false;
    let subscribed = false;
    page.on("websocket", (ws) => {
      ws.on("framereceived", (frame) => void (accepted ||= String(frame.payload).includes("connection_ack")));
      ws.on("framesent", (frame) => void (subscribed ||= String(frame.payload).includes("alertRaised")));
    });
    await openSales(page);
    const alerts = page.getByRole("region", { name: "Open alerts" });
    await expect(alerts).toBeVisible();
    await expect.poll(() => accepted && subscribed).toBe(true);

    // An admin adds a rule that Elena's next low value breaks: below 100 % of target for one period.
    const admin = await tokenFor(request, DEMO.admin);
    const definitions = await graphql(request, admin, "{ kpiDefinitions { id name } }");
    const kpi = (definitions.kpiDefinitions as Array<{ id: string; name: string }>).find((d) => d.name === MANUAL_KPI)!;
    await graphql(request, admin, "mutation ($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }", {
      input: {
        name: "Team view test: relationship below target",
        kind: "BELOW_TARGET",
        threshold: 100,
        periods: 1,
        kpiDefinitionId: kpi.id,
      },
    });

    const row = memberRow(page, "Elena Petrova");
    await row.getByRole("button", { name: `Record value: ${MANUAL_KPI}, Elena Petrova` }).click();
    const dialog = page.getByRole("dialog", { name: `Record ${MANUAL_KPI}` });
    await dialog.getByRole("spinbutton", { name: "Value" }).fill("1");
    await dialog.getByRole("button", { name: "Save value" }).click();
    await expect(dialog).toBeHidden();

    // Without a reload: the alert is listed, marked new, and read out.
    const entry = alerts.getByRole("listitem").filter({ hasText: "Elena Petrova" }).filter({ hasText: MANUAL_KPI });
    await expect(entry).toBeVisible({ timeout: 20_000 });
    await expect(entry).toContainText("New");
    await expect(alerts.getByRole("status")).toContainText(`New alert for Elena Petrova: ${MANUAL_KPI}`);

    await entry.getByRole("button", { name: /^Acknowledge alert for Elena Petrova/ }).click();
    await expect(entry).toBeHidden();
    await expect(alerts.getByRole("status")).toContainText("Alert for Elena Petrova acknowledged.");
    await page.reload();
    await expect(page.getByRole("region", { name: "Open alerts" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Open alerts" }).getByText(/Loading/)).toHaveCount(0);
    await expect(
      page
        .getByRole("region", { name: "Open alerts" })
        .getByRole("listitem")
        .filter({ hasText: "Elena Petrova" })
        .filter({ hasText: MANUAL_KPI }),
    ).toHaveCount(0);
  });

  test("CSV and XLSX downloads carry the team's measurements", async ({ page }) => {
    await openSales(page);
    const csvDownload = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download CSV" }).click();
    const csv = await csvDownload;
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    const text = await readFile((await csv.path())!, "utf8");
    const [header, first] = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    expect(header).toMatch(/^team_id,team_name,/);
    expect(first).toContain(SALES);

    const xlsxDownload = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download Excel (XLSX)" }).click();
    const xlsx = await xlsxDownload;
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
    const bytes = await readFile((await xlsx.path())!);
    expect(bytes.subarray(0, 2).toString()).toBe("PK"); // a zip, as XLSX files are
  });

  test("a manager of another team is refused with the server's message, and sees no actions", async ({ page }) => {
    await openSales(page);
    const url = page.url();
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInAs(page, DEMO.supportManager);
    await page.goto(url);
    await expect(page.getByRole("alert")).toContainText("Not allowed");
    await expect(page.getByRole("button", { name: /Record value|Assign a KPI/ })).toHaveCount(0);
  });

  test("a member of the team sees no manager actions, and the server's refusal of teammates' figures", async ({ page }) => {
    await openSales(page, DEMO.salesManager);
    const url = page.url();
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInAs(page, "Tom Fischer");
    await page.goto(url);
    // Teammates' figures are for the manager: the server refuses them, and the page says so in its words.
    await expect(page.getByRole("alert")).toContainText("Not allowed");
    await expect(page.getByRole("button", { name: /Record value|Assign a KPI|Acknowledge/ })).toHaveCount(0);
  });
});

test.describe("fits a phone and a laptop, and passes axe", () => {
  for (const [size, viewport] of [
    ["phone", PHONE],
    ["laptop", LAPTOP],
  ] as const) {
    test(`teams list and team view at ${size} size`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await signInAs(page, DEMO.salesManager);
      await page.goto("/teams");
      await expect(page.getByRole("link", { name: SALES, exact: true })).toBeVisible();
      await expectNoHorizontalScroll(page);
      await expectAccessible(page);

      await page.getByRole("link", { name: SALES, exact: true }).click();
      await expect(membersTable(page)).toBeVisible();
      await expect(page.getByRole("img", { name: /average overall score by month/ })).toBeVisible();
      await expect(page.getByRole("region", { name: "Open alerts" }).getByText(/Loading/)).toHaveCount(0);
      await expectNoHorizontalScroll(page);
      await expectAccessible(page);

      // The record dialog too.
      await memberRow(page, "Kwame Mensah")
        .getByRole("button", { name: `Record value: ${MANUAL_KPI}, Kwame Mensah` })
        .click();
      await expect(page.getByRole("dialog")).toBeVisible();
      await expectNoHorizontalScroll(page);
      await expectAccessible(page);
    });
  }
});
