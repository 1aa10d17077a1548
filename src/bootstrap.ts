import { JwtService } from "./auth/jwt.js";
import { resolveJwtSecret } from "./auth/jwt-secret.js";
import { ConfigError, loadConfig, type Config } from "./config/config.js";
import type { Database } from "./db/client.js";
import { openDatabase } from "./db/connect.js";
import { DataDirError } from "./db/embedded.js";
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

/**
 * Opens the configured (or embedded) database and brings its schema up to date; a DATA_DIR the
 * embedded database cannot use is one line on stderr and exit status 2, as a bad setting is.
 */
export async function openMigratedDatabase(config: Config): Promise<Database> {
  const database = await openDatabase(config).catch((error: unknown) => {
    if (!(error instanceof DataDirError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  });
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
