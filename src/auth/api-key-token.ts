import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// Recognisable by secret scanners and by our own authentication, which routes on it.
export const API_KEY_MARK = "kpik";

export interface GeneratedApiKey {
  token: string;
  prefix: string;
  hash: string;
}

/** A new key: `kpik_<prefix>_<secret>`. Only the prefix (to find the row) and a hash are stored. */
export function generateApiKey(): GeneratedApiKey {
  const prefix = randomBytes(9).toString("base64url");
  const token = `${API_KEY_MARK}_${prefix}_${randomBytes(32).toString("base64url")}`;
  return { token, prefix, hash: hashApiKey(token) };
}

export function isApiKey(token: string): boolean {
  return token.startsWith(`${API_KEY_MARK}_`);
}

export function apiKeyPrefix(token: string): string | undefined {
  const match = /^kpik_([A-Za-z0-9_-]{12})_[A-Za-z0-9_-]{43}$/.exec(token);
  return match?.[1];
}

// The secret has 256 bits of entropy, so a fast hash is enough: there is nothing to brute-force.
export function hashApiKey(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function apiKeyMatches(token: string, storedHash: string): boolean {
  const actual = Buffer.from(hashApiKey(token), "hex");
  const expected = Buffer.from(storedHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
