import { expect, test, type Page } from "@playwright/test";
import { copyFileSync, mkdirSync } from "node:fs";
import { LAPTOP, PHONE } from "./support/checks";
import { DEMO, signInAs } from "./support/sign-in";

/**
 * The README's pictures of the three views, taken from the demo data as a newcomer sees it. Each
 * view must show its figures before the picture is taken. The pictures go to test-results; with
 * UPDATE_SCREENSHOTS=1 they also replace docs/screenshots/ (commit them).
 */
async function shoot(page: Page, name: string): Promise<void> {
  const path = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: false, animations: "disabled" });
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    mkdirSync("docs/screenshots", { recursive: true });
    copyFileSync(path, `docs/screenshots/${name}.png`);
  }
}

test("user view", async ({ page }) => {
  await signInAs(page, DEMO.member);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByText(/On target|Close|Off target/).first()).toBeVisible();
  await page.waitForLoadState("networkidle");
  await shoot(page, "user-view");
  await page.setViewportSize(PHONE);
  await shoot(page, "user-view-phone");
  await page.setViewportSize(LAPTOP);
});

test("manager team view", async ({ page }) => {
  await signInAs(page, DEMO.supportManager);
  await page.goto("/teams");
  await page.getByRole("link", { name: "Customer Support" }).first().click();
  await expect(page.getByRole("link", { name: "Sam Carter" }).first()).toBeVisible();
  await expect(page.getByText("Loading the chart…")).toHaveCount(0);
  await page.waitForLoadState("networkidle");
  await shoot(page, "team-view");
  await page.setViewportSize(PHONE);
  await shoot(page, "team-view-phone");
});

test("admin panel", async ({ page }) => {
  await signInAs(page, DEMO.admin);
  await page.goto("/admin/definitions");
  await expect(page.getByText("Communication Quality").first()).toBeVisible();
  await page.waitForLoadState("networkidle");
  await shoot(page, "admin-view");
  await page.setViewportSize(PHONE);
  await shoot(page, "admin-view-phone");
});
