import { expect, test } from "@playwright/test";
import { expectAccessible, expectNoHorizontalScroll, PHONE } from "./support/checks";
import { e2e } from "./support/servers";
import { DEMO, signInAs } from "./support/sign-in";

test.describe("demo sign-in", () => {
  test("lists the demo people and signs in as one with a click", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/signin$/);
    await expect(page.getByRole("heading", { name: "Demo sign-in" })).toBeVisible();
    for (const name of Object.values(DEMO)) {
      await expect(page.getByRole("button", { name: new RegExp(`^Sign in as ${name},`) })).toBeVisible();
    }
    await expectAccessible(page);
    await signInAs(page, DEMO.member);
    await expect(page).toHaveURL(/\/me$/);
  });

  test("signing out leads back to the sign-in page", async ({ page }) => {
    await signInAs(page, DEMO.member);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin$/);
    await page.goto("/me");
    await expect(page).toHaveURL(/\/signin$/);
  });

  test("an expired token leads back to the sign-in page with a message", async ({ page }) => {
    await signInAs(page, DEMO.member);
    // The token the server would refuse: a session whose token is no longer valid.
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem("kpi.session")!);
      localStorage.setItem("kpi.session", JSON.stringify({ ...session, token: `${session.token}x` }));
    });
    await page.goto("/me");
    await expect(page).toHaveURL(/\/signin$/);
    await expect(page.getByText("Your session expired. Please sign in again.")).toBeVisible();
  });

  test("a session that runs out leads back to the sign-in page by itself", async ({ page }) => {
    await signInAs(page, DEMO.member);
    // The same session, ending two seconds from now: no request is needed to notice.
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem("kpi.session")!);
      localStorage.setItem("kpi.session", JSON.stringify({ ...session, expiresAt: Date.now() + 2000 }));
    });
    await page.reload();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
    await expect(page).toHaveURL(/\/signin$/, { timeout: 10_000 });
    await expect(page.getByText("Your session expired. Please sign in again.")).toBeVisible();
  });

  test("a server that cannot be reached is said so and retried until it answers", async ({ page }) => {
    await page.route("**/graphql", (route) => route.abort("connectionrefused"));
    await page.goto("/signin");
    await expect(page.getByRole("alert").filter({ hasText: "Can't reach the KPI server" })).toBeVisible();
    await page.unroute("**/graphql");
    await expect(page.getByRole("heading", { name: "Demo sign-in" })).toBeVisible({ timeout: 20_000 });
    await expect(page.getByText("Can't reach the KPI server")).toHaveCount(0);
  });

  test("fits a phone", async ({ page }) => {
    await page.setViewportSize(PHONE);
    await page.goto("/signin");
    await expect(page.getByRole("heading", { name: "Demo sign-in" })).toBeVisible();
    await expectNoHorizontalScroll(page);
  });
});

test.describe("a server without demo data", () => {
  test("offers no demo sign-in, and the API refuses it", async ({ page, request }) => {
    await page.goto(`${e2e.plainUrl}/signin`);
    await expect(page.getByRole("button", { name: "Sign in with your company account" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Demo sign-in" })).toHaveCount(0);
    const response = await request.post(`${e2e.plainUrl}/graphql`, {
      data: { query: "{ signInOptions { demo } demoAccounts { id } }" },
    });
    const body = await response.json();
    expect(body.data?.signInOptions?.demo ?? body.data).toBeFalsy();
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

test.describe("OpenID Connect", () => {
  test("signs in at the identity provider (code + PKCE) and the API accepts its token", async ({ page }) => {
    await page.goto(`${e2e.plainUrl}/signin`);
    await page.getByRole("button", { name: "Sign in with your company account" }).click();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
    await expect(page.getByText(e2e.oidcUser.name)).toBeVisible();
    const session = await page.evaluate(() => JSON.parse(localStorage.getItem("kpi.session")!));
    expect(session.via).toBe("oidc");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin$/);
  });
});
