import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoogleWorkspaceAdapter, REPORTS_SCOPE } from "../../src/engine/adapters/google-workspace.adapter.js";
import { CalculationError, type CalculationSubject } from "../../src/engine/outcome.js";
import { FakeApi, json, type Handler, type Received } from "../helpers/fake-api.js";

/**
 * The Google Workspace adapter's real service-account flow (google-auth-library's JWT client): a
 * key file of a key pair made here, whose token_uri names a fake token endpoint on 127.0.0.1 that
 * records the signed assertion and issues access tokens, and a fake Reports API that must receive
 * them. Only the HTTP boundary is faked; the assertion is verified with the key pair's public half.
 */

const CLIENT_EMAIL = "kpi-reports@kpi-test.iam.gserviceaccount.com";
const ADMIN = "admin@example.com";
const METRIC = "gmail:num_emails_sent";
const { publicKey, privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const twoDays: CalculationSubject = {
  userId: 12,
  period: { start: "2026-03-01", end: "2026-03-03" },
  externalIds: { google_workspace: "ann@example.com" },
};
const fast = { timeoutMs: 2_000, backoffBaseMs: 10, maxDelayMs: 2_000 };

let tokens: FakeApi;
let reports: FakeApi;
let dir: string;
let keyFile: string;
let tokenUrl: string;

/** The Reports API: 3 emails sent each day. */
const usage: Handler = (request, response) =>
  json(response, {
    kind: "admin#reports#usageReports",
    usageReports: [{ date: request.url.pathname.split("/").pop(), parameters: [{ name: METRIC, intValue: "3" }] }],
  });

/** A token endpoint issuing ya29.token-1, ya29.token-2, … valid `expiresIn` seconds. */
const issuing =
  (expiresIn: number): Handler =>
  (_, response) =>
    json(response, { access_token: `ya29.token-${tokens.requests.length}`, token_type: "Bearer", expires_in: expiresIn });

const adapter = () =>
  new GoogleWorkspaceAdapter({ baseUrl: reports.url, serviceAccountFile: keyFile, adminEmail: ADMIN, ...fast });

/** The assertion of a token request, after checking the request is an RFC 7523 JWT-bearer grant. */
function assertionOf(request: Received): string {
  expect(request.method).toBe("POST");
  expect(request.url.pathname).toBe("/token");
  expect(request.headers["content-type"]).toContain("application/x-www-form-urlencoded");
  const form = new URLSearchParams(request.body);
  expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
  return form.get("assertion")!;
}

beforeAll(async () => {
  tokens = new FakeApi();
  reports = new FakeApi();
  await tokens.start();
  await reports.start();
  tokenUrl = `${tokens.url}/token`;
  dir = await mkdtemp(join(tmpdir(), "kpi-google-"));
  keyFile = join(dir, "service-account.json");
  // The fields of a key file as Google's console downloads it.
  await writeFile(
    keyFile,
    JSON.stringify({
      type: "service_account",
      project_id: "kpi-test",
      private_key_id: "0123456789abcdef",
      private_key: privateKey,
      client_email: CLIENT_EMAIL,
      client_id: "100000000000000000001",
      auth_uri: "https://accounts.google.com/o/oauth2/auth",
      token_uri: tokenUrl,
    }),
  );
});

afterAll(async () => {
  await tokens?.stop();
  await reports?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the Google service account's token exchange", () => {
  it("signs an RS256 assertion with the key for the reports scope, exchanges it at token_uri and sends the token", async () => {
    tokens.reset(issuing(3600));
    reports.reset(usage);
    const google = adapter();
    expect(await google.fetch({ type: "google_workspace", metric: METRIC }, twoDays)).toMatchObject({ kind: "value", value: 6 });

    expect(tokens.requests).toHaveLength(1);
    const assertion = assertionOf(tokens.requests[0]!);
    expect(decodeProtectedHeader(assertion).alg).toBe("RS256");
    // Verifies the signature with the public half of the key pair, and the issuer and audience.
    const { payload } = await jwtVerify(assertion, await importSPKI(publicKey, "RS256"), {
      algorithms: ["RS256"],
      issuer: CLIENT_EMAIL,
      audience: tokenUrl,
    });
    expect(payload).toMatchObject({ scope: REPORTS_SCOPE, sub: ADMIN });
    expect(payload.exp! - payload.iat!).toBe(3600);

    expect(reports.requests).toHaveLength(2);
    expect(reports.requests.every((request) => request.headers.authorization === "Bearer ya29.token-1")).toBe(true);
  });

  it("keeps the token while it is valid and gets a new one when it is about to expire", async () => {
    tokens.reset(issuing(3600));
    reports.reset(usage);
    const google = adapter();
    await google.fetch({ type: "google_workspace", metric: METRIC }, twoDays);
    await google.fetch({ type: "google_workspace", metric: METRIC }, twoDays);
    expect(tokens.requests).toHaveLength(1); // cached
    expect(reports.requests.map((request) => request.headers.authorization)).toEqual(Array(4).fill("Bearer ya29.token-1"));

    // A token valid for 60 s is inside the library's five minutes of early refresh: every use renews it.
    tokens.reset(issuing(60));
    reports.reset(usage);
    const renewing = adapter();
    await renewing.fetch({ type: "google_workspace", metric: METRIC }, twoDays);
    await renewing.fetch({ type: "google_workspace", metric: METRIC }, twoDays);
    expect(tokens.requests).toHaveLength(2);
    expect(reports.requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer ya29.token-1",
      "Bearer ya29.token-1",
      "Bearer ya29.token-2",
      "Bearer ya29.token-2",
    ]);
  });

  it.each([
    [400, "invalid_grant", "Invalid JWT Signature."],
    [401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method."],
  ])(
    "turns an HTTP %i from the token endpoint into a calculation error naming it, without the key",
    async (status, code, text) => {
      tokens.reset((_, response) => json(response, { error: code, error_description: text }, status));
      reports.reset(usage);
      const error = await adapter()
        .fetch({ type: "google_workspace", metric: METRIC }, twoDays)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CalculationError);
      const message = (error as CalculationError).message;
      expect(message).toBe(
        `Google Workspace refused the service account's credentials (token endpoint: HTTP ${status} ${code}: ${text})`,
      );
      expect(tokens.requests).toHaveLength(1); // a refusal is not retried
      expect(reports.requests).toHaveLength(0);
      const keyLines = privateKey.split("\n").filter((line) => line.length > 20);
      for (const secret of [...keyLines, assertionOf(tokens.requests[0]!)]) expect(message).not.toContain(secret);
    },
  );
});
