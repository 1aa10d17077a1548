import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config/config.js";

/**
 * The HS256 secret: JWT_SECRET, or outside production one generated once and kept in DATA_DIR so
 * that tokens printed by `npm start` or the CLI survive restarts. Undefined when only JWKS is used.
 */
export function resolveJwtSecret(config: Config): string | undefined {
  if (config.auth.jwtSecret) return config.auth.jwtSecret;
  if (config.env === "production" || config.auth.jwksUrl) return undefined;
  const dir = resolve(config.database.dataDir);
  const path = join(dir, "jwt-secret");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}
