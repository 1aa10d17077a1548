import { JwtService } from "./auth/jwt.js";
import { resolveJwtSecret } from "./auth/jwt-secret.js";
import { ConfigError, loadConfig, type Config } from "./config/config.js";
import type { Database } from "./db/client.js";
import { openDatabase } from "./db/connect.js";
import { runMigrations } from "./db/migrate.js";

/** Loads the configuration, or prints every problem with it and exits. */
export function loadConfigOrExit(): Config {
  try {
    if (process.env.NODE_ENV !== "production") loadDotEnv();
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every setting.\n`);
      process.exit(2);
    }
    throw error;
  }
}

function loadDotEnv(): void {
  try {
    process.loadEnvFile(".env");
  } catch {
    // No .env file: the environment alone configures the server.
  }
}

/** Opens the configured (or embedded) database and brings its schema up to date. */
export async function openMigratedDatabase(config: Config): Promise<Database> {
  const database = await openDatabase(config);
  try {
    await runMigrations(database.pool);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

export function createJwtService(config: Config): JwtService {
  return new JwtService(config.auth, resolveJwtSecret(config));
}
