import { expect, test, type Page } from "@playwright/test";
import { expectAccessible, expectNoHorizontalScroll, LAPTOP, PHONE } from "./support/checks";
import { DEMO, signInAs } from "./support/sign-in";

/** What this file creates carries this mark, so it never meets what other files create. */
const mark = `E2E-admin ${Date.now().toString(36)}`;

const definitionsTable = (page: Page) => page.getByRole("region", { name: "KPI definitions" });

async function openAdmin(page: Page, section = "definitions") {
  await signInAs(page, DEMO.admin);
  await page.goto(`/admin/${section}`);
  await expect(page.getByRole("heading", { name: "Admin", level: 1 })).toBeVisible();
}

test.describe("admin: KPI definitions", () => {
  test("filters definitions by type, category and state", async ({ page }) => {
    await openAdmin(page);
    const table = definitionsTable(page);
    await expect(table.getByRole("cell", { name: "Cases Resolved", exact: true })).toBeVisible();

    await page.getByLabel("Type", { exact: true }).selectOption({ label: "Formula" });
    await expect(table.getByRole("cell", { name: "Customer Satisfaction Score", exact: true })).toBeVisible();
    await expect(table.getByRole("cell", { name: "Cases Resolved", exact: true })).toHaveCount(0);
    for (const type of await table.getByRole("row").locator("td:nth-child(3)").allTextContents()) expect(type).toBe("Formula");

    await page.getByLabel("Category", { exact: true }).selectOption("sales");
    await expect(table.getByRole("cell", { name: "Lead Conversion Rate", exact: true })).toBeVisible();
    await expect(table.getByRole("cell", { name: "Customer Satisfaction Score", exact: true })).toHaveCount(0);

    await page.getByLabel("State", { exact: true }).selectOption({ label: "Archived" });
    await expect(table.getByRole("cell", { name: "Lead Conversion Rate", exact: true })).toHaveCount(0);
    await page.getByLabel("State", { exact: true }).selectOption({ label: "Active" });
    await expect(table.getByRole("cell", { name: "Lead Conversion Rate", exact: true })).toBeVisible();
  });

  test("creates a MANUAL KPI with its allowed range, checks min ≤ max, archives and reactivates it", async ({ page }) => {
    await openAdmin(page);
    const name = `${mark} manual`;
    await page.getByRole("link", { name: "New KPI" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Category", { exact: true }).fill("e2e_admin");
    await page.getByLabel("Unit", { exact: true }).fill("score");
    await page.getByLabel("Calculation type").selectOption({ label: "Manual" });
    await page.getByLabel("Lowest allowed value").fill("5");
    await page.getByLabel("Highest allowed value").fill("1");
    await page.getByRole("button", { name: "Create KPI" }).click();
    await expect(page.getByText("The minimum must not be greater than the maximum.")).toBeVisible();
    await expect(page.getByLabel("Highest allowed value")).toHaveAttribute("aria-invalid", "true");
    await page.getByLabel("Lowest allowed value").fill("1");
    await page.getByLabel("Highest allowed value").fill("5");
    await page.getByRole("button", { name: "Create KPI" }).click();
    await expect(page).toHaveURL(/\/admin\/definitions$/);

    const table = definitionsTable(page);
    const row = table.getByRole("row").filter({ hasText: name });
    await expect(row).toContainText("Manual");
    await expect(row).toContainText("Active");
    await page.getByRole("button", { name: `Archive ${name}` }).click();
    await expect(row).toContainText("Archived");
    await page.getByLabel("State", { exact: true }).selectOption({ label: "Archived" });
    await expect(row).toBeVisible();
    await page.getByLabel("State", { exact: true }).selectOption({ label: "Active" });
    await expect(row).toHaveCount(0);
    await page.getByLabel("State", { exact: true }).selectOption({ label: "Active and archived" });
    await page.getByRole("button", { name: `Reactivate ${name}` }).click();
    await expect(row).toContainText("Active");

    // Edit reads the saved range back.
    await page.getByRole("link", { name: `Edit ${name}` }).click();
    await expect(page.getByLabel("Lowest allowed value")).toHaveValue("1");
    await expect(page.getByLabel("Highest allowed value")).toHaveValue("5");
  });

  test("creates a FORMULA KPI after a preview; a bad formula shows the server's error and saves nothing", async ({ page }) => {
    await openAdmin(page);
    const name = `${mark} formula`;
    await page.getByRole("link", { name: "New KPI" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Unit", { exact: true }).fill("count");
    await page.getByLabel("Calculation type").selectOption({ label: "Formula" });
    await page.getByLabel("Input 1 variable").fill("cases");
    await page.getByLabel("Input 1 KPI").selectOption({ label: "Cases Resolved" });

    // A formula the server refuses: its message, next to the field; nothing saved.
    await page.getByLabel("Formula", { exact: true }).fill("cases * (2");
    await page.getByRole("button", { name: "Create KPI" }).click();
    const formula = page.getByLabel("Formula", { exact: true });
    await expect(formula).toHaveAttribute("aria-invalid", "true");
    await expect(formula).toHaveAccessibleDescription(/position/);
    await expect(page).toHaveURL(/\/admin\/definitions\/new$/);

    await formula.fill("cases * 2");
    const people = page.getByRole("group", { name: "People to preview for" });
    await people.getByLabel("Sam Carter").check();
    await people.getByLabel("Priya Nair").check();
    await page.getByRole("button", { name: "Preview" }).click();
    const results = page.getByRole("region", { name: "Preview results" });
    const sam = results.getByRole("row").filter({ hasText: "Sam Carter" });
    await expect(sam).toContainText("Value");
    await expect(sam.locator("td").nth(1)).toHaveText(/^\d[\d,.]* count$/);
    await expect(results.getByRole("row").filter({ hasText: "Priya Nair" })).toBeVisible();
    // The refusal was about the formula as it was sent: fixed, it is gone.
    await expect(formula).not.toHaveAttribute("aria-invalid", "true");
    await page.screenshot({ path: "/tmp/shots-admin/definition-form-1440.png", fullPage: true });

    await page.getByRole("button", { name: "Create KPI" }).click();
    await expect(page).toHaveURL(/\/admin\/definitions$/);
    await page.getByLabel("Search definitions").fill(name);
    await expect(definitionsTable(page).getByRole("row").filter({ hasText: name })).toHaveCount(1);
    await expect(definitionsTable(page).getByRole("row").filter({ hasText: name })).toContainText("Formula");
  });
});

/** The first day of last month, YYYY-MM-DD: a completed period with demo data. */
function lastMonth(): string {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return first.toISOString().slice(0, 10);
}

test.describe("admin: calculation runs", () => {
  test("starts a run for a period, watches it finish, reads its per-person errors; the health summary shows", async ({
    page,
  }) => {
    await openAdmin(page, "runs");
    const health = page.getByRole("region", { name: "Calculation health" });
    await expect(health.getByText("Unfinished runs")).toBeVisible();
    await expect(health.getByText("Failure rate")).toBeVisible();
    await expect(health.getByRole("region", { name: "Schedules" })).toContainText("Monthly");

    await page.getByLabel("Period containing").fill(lastMonth());
    await page.getByLabel("Team", { exact: true }).selectOption({ label: "Customer Support" });
    await page.getByRole("button", { name: "Start run" }).click();
    await expect(page).toHaveURL(/\/admin\/runs\?run=\d+$/);
    const runId = new URL(page.url()).searchParams.get("run");
    const run = page.getByRole("region", { name: `Run ${runId}` });
    await expect(run.getByRole("status")).toContainText(/Succeeded|Partial/, { timeout: 30_000 });

    const figure = async (label: string) =>
      Number(await run.locator("dt", { hasText: label }).locator("xpath=following-sibling::dd").innerText());
    const [succeeded, failed, skipped, undefinedCount] = [
      await figure("Succeeded"),
      await figure("Failed"),
      await figure("Skipped"),
      await figure("Undefined"),
    ];
    expect(succeeded).toBeGreaterThan(0);
    if (failed + skipped + undefinedCount > 0) {
      const errors = run.getByRole("region", { name: "Per-person errors" });
      await expect(errors.getByRole("row")).not.toHaveCount(0);
      await expect(errors.getByRole("row").nth(1)).toContainText(/Sam Carter|Priya Nair|Lucas Moreau|Hana Sato/);
    } else {
      await expect(run.getByText("No per-person errors.")).toBeVisible();
    }
    // The finished run is in the list of recent runs, and in the last day's totals.
    await expect(
      page.getByRole("region", { name: "Recent runs" }).getByRole("button", { name: `Show run ${runId}` }),
    ).toBeVisible();
    await expect(health.locator("dt", { hasText: "Runs in the last day" }).locator("xpath=following-sibling::dd")).not.toHaveText(
      "0",
    );
    await page.screenshot({ path: "/tmp/shots-admin/run-progress-1440.png", fullPage: true });
  });
});

test.describe("admin: bulk assign", () => {
  test("assigns a KPI to chosen people, then to their team, and says who got it and who had it", async ({ page }) => {
    await openAdmin(page);
    // A KPI of this file's own, so that nobody else's assignments change.
    const name = `${mark} bulk`;
    await page.getByRole("link", { name: "New KPI" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Calculation type").selectOption({ label: "Manual" });
    await page.getByRole("button", { name: "Create KPI" }).click();
    await expect(page).toHaveURL(/\/admin\/definitions$/);

    await page.getByRole("button", { name: "Bulk assign KPIs" }).click();
    const dialog = page.getByRole("dialog", { name: "Bulk assign a KPI" });
    await dialog.getByLabel("KPI", { exact: true }).selectOption({ label: name });
    await dialog.getByLabel("Chosen people").check();
    await dialog.getByRole("group", { name: "People" }).getByLabel("Noah Wilson").check();
    await dialog.getByRole("group", { name: "People" }).getByLabel("Aisha Khan").check();
    await dialog.getByRole("button", { name: "Assign" }).click();
    await expect(dialog.getByText("Please check", { exact: false })).toHaveCount(0);
    await expect(dialog.getByLabel("Target")).toHaveAttribute("aria-invalid", "true");
    await dialog.getByLabel("Target").fill("4");
    await dialog.getByLabel("Weight").fill("10");
    await dialog.getByRole("button", { name: "Assign" }).click();
    await expect(dialog.getByRole("status")).toContainText("2 created, 0 already there");
    await expect(dialog.getByRole("status")).toContainText(/Created for: .*(Noah Wilson|Aisha Khan)/);

    await dialog.getByLabel("A team").check();
    await dialog.getByLabel("Team", { exact: true }).selectOption({ label: "Operations" });
    await dialog.getByRole("button", { name: "Assign" }).click();
    await expect(dialog.getByRole("status")).toContainText("2 created, 2 already there");
    await expect(dialog.getByRole("status")).toContainText(/Already there: .*Noah Wilson/);
    await page.screenshot({ path: "/tmp/shots-admin/bulk-assign-1440.png" });
    await page.keyboard.press("Escape");
    await expect(dialog).toHaveCount(0);
  });
});

test.describe("admin: API keys", () => {
  test("creating a key shows its token once; revoking asks first and marks it revoked", async ({ page }) => {
    await openAdmin(page, "api-keys");
    const name = `${mark} key`;
    await page.getByLabel("Key name").fill(name);
    await page.getByRole("button", { name: "Create key" }).click();
    const token = page.getByLabel("New API token");
    await expect(token).toHaveText(/\S{20,}/);
    await expect(page.getByText("it will not be shown again")).toBeVisible();
    await expect(page.getByRole("button", { name: "Copy token" })).toBeVisible();
    const row = page.getByRole("region", { name: "API keys" }).getByRole("row").filter({ hasText: name });
    await expect(row).toContainText("Active");
    const prefix = (await row.locator("code").innerText()).replace("…", "");
    expect(await token.innerText()).toContain(prefix);

    await page.reload();
    await expect(page.getByLabel("New API token")).toHaveCount(0);

    await page.getByRole("button", { name: `Revoke ${name}` }).click();
    const confirm = page.getByRole("dialog", { name: `Revoke “${name}”?` });
    await confirm.getByRole("button", { name: "Keep it" }).click();
    await expect(row).toContainText("Active");
    await page.getByRole("button", { name: `Revoke ${name}` }).click();
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await expect(row).toContainText("Revoked");
    await expect(page.getByRole("button", { name: `Revoke ${name}` })).toHaveCount(0);
  });
});

/** Calls the GraphQL API as the signed-in person (their token from the page's session). */
async function gql<T>(page: Page, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return page.evaluate(
    async ({ query, variables }) => {
      const session = JSON.parse(localStorage.getItem("kpi.session")!);
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${session.token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
    { query, variables },
  );
}

test.describe("admin: alert rules", () => {
  test("creates a rule (only the settings its kind uses), deactivates and activates it", async ({ page }) => {
    await openAdmin(page, "alerts");
    // Scoped to a KPI of this file's own: the rule raises nothing about anybody else.
    const kpi = `${mark} alerted`;
    await gql(page, "mutation ($input: CreateKpiDefinitionInput!) { createKpiDefinition(input: $input) { id } }", {
      input: { name: kpi, calculationType: "MANUAL", aggregationPeriod: "MONTHLY", targetType: "HIGHER_BETTER" },
    });
    await page.reload();
    const name = `${mark} rule`;
    await page.getByRole("button", { name: "New alert rule" }).click();
    const dialog = page.getByRole("dialog", { name: "New alert rule" });
    await dialog.getByLabel("Kind").selectOption({ label: "Missing measurement" });
    await expect(dialog.getByLabel("Threshold (%)")).toHaveCount(0);
    await dialog.getByLabel("Kind").selectOption({ label: "Below target" });
    await dialog.getByLabel("Applies to").selectOption({ label: "One KPI" });
    await dialog.getByLabel("KPI", { exact: true }).selectOption({ label: kpi });
    await dialog.getByLabel("Periods in a row").fill("two");
    await dialog.getByRole("button", { name: "Create rule" }).click();
    await expect(dialog.getByLabel("Name")).toHaveAttribute("aria-invalid", "true");
    await expect(dialog.getByLabel("Periods in a row")).toHaveAttribute("aria-invalid", "true");
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("Threshold (%)").fill("70");
    await dialog.getByLabel("Periods in a row").fill("2");
    await dialog.getByRole("button", { name: "Create rule" }).click();
    await expect(dialog).toHaveCount(0);

    const row = page.getByRole("region", { name: "Alert rules" }).getByRole("row").filter({ hasText: name });
    await expect(row).toContainText("Below target");
    await expect(row).toContainText(kpi);
    await expect(row).toContainText("threshold 70, 2 periods");
    await expect(row).toContainText("Active");
    await page.getByRole("button", { name: `Deactivate ${name}` }).click();
    await expect(row).toContainText("Inactive");
    await page.getByRole("button", { name: `Activate ${name}` }).click();
    await expect(row).not.toContainText("Inactive");
    await page.getByRole("button", { name: `Deactivate ${name}` }).click();
    await expect(row).toContainText("Inactive");
  });
});

test.describe("admin: people and teams", () => {
  test("creates people, changes a role, sets an external id, makes a team with a manager and members, deactivates", async ({
    page,
  }) => {
    await openAdmin(page, "people");
    const lead = { name: `${mark} Lead`, email: `lead.${Date.now()}@e2e-admin.example` };
    const member = { name: `${mark} Member`, email: `member.${Date.now()}@e2e-admin.example` };
    for (const person of [lead, member]) {
      await page.getByRole("button", { name: "New person" }).click();
      const dialog = page.getByRole("dialog", { name: "New person" });
      await dialog.getByLabel("Name").fill(person.name);
      await dialog.getByLabel("E-mail").fill(person.email);
      await dialog.getByRole("button", { name: "Create person" }).click();
      await expect(dialog).toHaveCount(0);
    }
    await page.getByLabel("Search people").fill(mark);
    const people = page.getByRole("region", { name: "People" });
    await expect(people.getByRole("row")).toHaveCount(3);
    await page.getByLabel(`Role of ${lead.name}`).selectOption({ label: "Manager" });
    await expect(page.getByLabel(`Role of ${lead.name}`)).toHaveValue("MANAGER");

    await page.getByRole("button", { name: `External ids of ${member.name}` }).click();
    const ids = page.getByRole("dialog", { name: `External ids of ${member.name}` });
    await ids.getByLabel("Provider", { exact: true }).fill("aircall");
    await ids.getByLabel("Id at the provider").fill("ac-e2e-1");
    await ids.getByRole("button", { name: "Save external id" }).click();
    await expect(ids.getByText("ac-e2e-1")).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(people.getByRole("row").filter({ hasText: member.name })).toContainText("aircall: ac-e2e-1");

    const teamName = `${mark} team`;
    await page.reload();
    await page.getByRole("button", { name: "New team" }).click();
    const newTeam = page.getByRole("dialog", { name: "New team" });
    await newTeam.getByLabel("Team name").fill(teamName);
    await newTeam.getByLabel("Manager").selectOption({ label: lead.name });
    await newTeam.getByRole("button", { name: "Create team" }).click();
    await expect(newTeam).toHaveCount(0);
    const team = page.getByRole("article", { name: teamName });
    await expect(team.getByLabel(`Manager of ${teamName}`)).toHaveValue(/\d+/);
    await expect(team).toContainText("Members (0)");
    await team.getByLabel(`Add a member to ${teamName}`).selectOption({ label: member.name });
    await team.getByRole("button", { name: "Add" }).click();
    await expect(team).toContainText("Members (1)");
    await team.getByRole("button", { name: `Remove ${member.name} from ${teamName}` }).click();
    await expect(team).toContainText("Members (0)");

    await page.getByRole("button", { name: `Deactivate ${member.name}` }).click();
    await expect(people.getByRole("row").filter({ hasText: member.name })).toContainText("Deactivated");
  });
});

test.describe("admin: refused to others", () => {
  test("a manager has no Admin link, and opening /admin shows the server's refusal, no admin data", async ({ page }) => {
    await signInAs(page, DEMO.supportManager);
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Teams" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toHaveCount(0);
    await page.goto("/admin/definitions");
    await expect(page.getByRole("alert")).toContainText("Not allowed");
    await expect(page.getByRole("tablist", { name: "Admin sections" })).toHaveCount(0);
    await expect(page.getByRole("region", { name: "KPI definitions" })).toHaveCount(0);
  });
});

test.describe("admin: every section, keyboard, phone and laptop", () => {
  test("the sections are tabs a keyboard reaches", async ({ page }) => {
    await openAdmin(page);
    await page.getByRole("tab", { name: "Definitions" }).focus();
    await page.keyboard.press("ArrowRight");
    await expect(page.getByRole("tab", { name: "Calculation runs" })).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/admin\/runs$/);
    await expect(page.getByRole("tab", { name: "Calculation runs" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByRole("heading", { name: "Start a calculation run" })).toBeVisible();
  });

  const sections = [
    { path: "definitions", ready: "KPI definitions", shot: "definitions" },
    { path: "definitions/new", ready: "New KPI", shot: "definition-new" },
    { path: "runs", ready: "Calculation health", shot: "runs" },
    { path: "alerts", ready: "Alert rules", shot: "alerts" },
    { path: "people", ready: "Teams", shot: "people" },
    { path: "api-keys", ready: "Your API keys", shot: "api-keys" },
  ];
  for (const [size, viewport] of [
    ["phone", PHONE],
    ["laptop", LAPTOP],
  ] as const) {
    test(`fits a ${size} without sideways scrolling and passes axe`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await signInAs(page, DEMO.admin);
      for (const section of sections) {
        await page.goto(`/admin/${section.path}`);
        await expect(page.getByRole("heading", { name: section.ready, exact: true })).toBeVisible();
        await expect(page.getByRole("status").filter({ hasText: "Loading" })).toHaveCount(0);
        await expectNoHorizontalScroll(page);
        await expectAccessible(page);
        await page.screenshot({ path: `/tmp/shots-admin/${section.shot}-${viewport.width}.png`, fullPage: true });
      }
    });
  }
});

test.describe("admin: editing saved definitions", () => {
  test("reads back a QUERY's SQL and an API source's adapter settings, and saves without changing how it is calculated", async ({
    page,
  }) => {
    await openAdmin(page);
    await page.getByRole("link", { name: "Edit Cases Resolved" }).click();
    await expect(page.getByRole("heading", { name: "Edit Cases Resolved" })).toBeVisible();
    await expect(page.getByLabel("Calculation type")).toBeDisabled();
    await expect(page.getByLabel("SQL query")).toHaveValue(/FROM support_cases/);

    await page.getByRole("link", { name: "Back to the definitions" }).click();
    await page.getByRole("link", { name: "Edit First Response Time" }).click();
    await expect(page.getByLabel("Adapter")).toHaveValue("intercom");
    await expect(page.getByLabel("Metric")).toHaveValue("first_response_time");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  });
});
