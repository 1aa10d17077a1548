import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Checks a webhook body's HMAC over its raw bytes, keyed by WEBHOOK_SECRET: `X-Hub-Signature-256:
 * sha256=<hex>` (our own callers, GitHub's convention) or `X-Hub-Signature: sha1=<hex>` (what
 * Intercom sends, keyed by the app's client secret). The stronger header wins when both are sent.
 */
export function signatureMatches(body: Buffer, headers: Record<string, string | string[] | undefined>, secret: string): boolean {
  const sha256 = header(headers["x-hub-signature-256"]);
  if (sha256 !== undefined) return digestMatches("sha256", sha256, body, secret);
  const sha1 = header(headers["x-hub-signature"]);
  if (sha1 !== undefined) return digestMatches("sha1", sha1, body, secret);
  return false;
}

/** The header that signs `body` with SHA-256, for callers and tests. */
export function sign(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function digestMatches(algorithm: "sha256" | "sha1", given: string, body: Buffer, secret: string): boolean {
  const match = new RegExp(`^${algorithm}=([0-9a-f]+)$`, "i").exec(given.trim());
  if (!match) return false;
  const expected = createHmac(algorithm, secret).update(body).digest();
  const received = Buffer.from(match[1]!, "hex");
  return received.length === expected.length && timingSafeEqual(received, expected);
}
