import { expect, type Page } from "@playwright/test";

/** Signs in on the demo sign-in page as the named demo person, the way a person does: one click. */
export async function signInAs(page: Page, name: string): Promise<void> {
  await page.goto("/signin");
  await page.getByRole("button", { name: new RegExp(`^Sign in as ${name},`) }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

export const DEMO = {
  admin: "Ada Admin",
  supportManager: "Maria Support-Lead",
  salesManager: "Diego Sales-Lead",
  member: "Sam Carter",
  teammate: "Priya Nair",
} as const;
