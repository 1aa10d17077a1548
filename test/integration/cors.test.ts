import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerWithRoles } from "../helpers/roles.js";
import type { TestServer } from "../helpers/server.js";

/**
 * Dashboards served from another origin: the preflight a browser sends before a cross-origin POST
 * with a bearer token, from an origin in CORS_ORIGINS and from one that is not; credentials off;
 * Apollo's CSRF prevention still refusing a "simple" cross-origin request.
 */

const LISTED = "https://dashboards.example.com";
const UNLISTED = "https://evil.example.net";

/** What Chromium sends before fetch(url, { method: "POST", headers: { authorization, "content-type": "application/json" } }). */
function preflight(url: string, origin: string, method = "POST") {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization,content-type",
    },
  });
}

describe("with CORS_ORIGINS set", () => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    ({ server, admin } = await startServerWithRoles({ CORS_ORIGINS: `${LISTED}, http://localhost:5173` }));
  });
  afterAll(() => server?.stop());

  it("answers a listed origin's preflight, without credentials", async () => {
    const response = await preflight(server.graphqlUrl, LISTED);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(LISTED);
    expect(response.headers.get("access-control-allow-methods")).toBe("GET,POST");
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(response.headers.get("access-control-allow-headers")).toContain("content-type");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("access-control-max-age")).toBe("600");
    expect(response.headers.get("vary")).toMatch(/origin/i);
  });

  it("lets a listed origin read the answer to its request, and the request id", async () => {
    const response = await fetch(server.graphqlUrl, {
      method: "POST",
      headers: { origin: LISTED, authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { role } }" }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { me: { role: "ADMIN" } } });
    expect(response.headers.get("access-control-allow-origin")).toBe(LISTED);
    expect(response.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  it("gives an unlisted origin no CORS headers, so its browser keeps the answer from the page", async () => {
    const response = await preflight(server.graphqlUrl, UNLISTED);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const post = await fetch(server.graphqlUrl, {
      method: "POST",
      headers: { origin: UNLISTED, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers the preflight of an export download", async () => {
    const response = await preflight(`${server.url}/exports/team/1.csv`, LISTED, "GET");
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(LISTED);
  });

  it("keeps CSRF prevention on: a simple cross-origin POST (no preflight) is refused", async () => {
    const response = await fetch(server.graphqlUrl, {
      method: "POST",
      headers: { origin: LISTED, "content-type": "text/plain" },
      body: JSON.stringify({ query: "mutation { __typename }" }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF|preflight/i);
  });
});

describe("without CORS_ORIGINS (the default)", () => {
  let server: TestServer;
  beforeAll(async () => {
    ({ server } = await startServerWithRoles());
  });
  afterAll(() => server?.stop());

  it("gives no origin CORS headers: same origin only", async () => {
    const response = await preflight(server.graphqlUrl, LISTED);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});
