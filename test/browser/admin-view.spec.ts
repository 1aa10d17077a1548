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
    await expect(table.getByRole("cell", { name: "Customer Satisfaction Score" })).toBeVisible();
    await expect(table.getByRole("cell", { name: "Cases Resolved", exact: true })).toHaveCount(0);
    for (const type of await table.getByRole("row").locator("td:nth-child(3)").allTextContents()) expect(type).toBe("Formula");

    await page.getByLabel("Category", { exact: true }).selectOption("sales");
    await expect(table.getByRole("cell", { name: "Lead Conversion Rate" })).toBeVisible();
    await expect(table.getByRole("cell", { name: "Customer Satisfaction Score" })).toHaveCount(0);

    await page.getByLabel("State", { exact: true }).selectOption({ label: "Archived" });
    await expect(table.getByRole("cell", { name: "Lead Conversion Rate" })).toHaveCount(0);
    await page.getByLabel("State", { exact: true }).selectOption({ label: "Active" });
    await expect(table.getByRole("cell", { name: "Lead Conversion Rate" })).toBeVisible();
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
    await page.screenshot({ path: "/tmp/shots-admin/definition-form-1440.png", fullPage: true });

    await page.getByRole("button", { name: "Create KPI" }).click();
    await expect(page).toHaveURL(/\/admin\/definitions$/);
    await page.getByLabel("Search definitions").fill(name);
    await expect(definitionsTable(page).getByRole("row").filter({ hasText: name })).toHaveCount(1);
    await expect(definitionsTable(page).getByRole("row").filter({ hasText: name })).toContainText("Formula");
  });
});
