import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { MIGRATIONS_FOLDER } from "./migrate.js";

/**
 * The image of an empty embedded database: PGlite's initdb followed by our migrations, made once by
 * `npm run build` (and `npm install`) and copied into an empty DATA_DIR instead of running initdb
 * (most of a first start) and the migrations again. It lives in dist/embedded-image/<key>/ under the
 * package root, for the compiled server and for `npm start` alike.
 *
 * The key hashes what the image is made of: the PGlite release (its initdb and PostgreSQL) and the
 * SHA-256 of every migration as drizzle records it, so an image is used only with exactly the
 * migrations it was made with; without a matching image a first start runs initdb and migrates as
 * before. Either way the migrations then run as at every start (a no-op on a matching image).
 */
export const IMAGES_FOLDER = fileURLToPath(new URL("../../dist/embedded-image", import.meta.url));

/** Written last into a finished image: what it was made from. */
const MANIFEST = "manifest.json";
/** Bump when the way images are made changes, so that older ones are not used. */
const IMAGE_FORMAT = 1;

export interface ImageManifest {
  format: number;
  pglite: string;
  /** drizzle's hash of each migration, in order. */
  migrations: string[];
}

export function currentManifest(): ImageManifest {
  return {
    format: IMAGE_FORMAT,
    pglite: pgliteVersion(),
    migrations: readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((migration) => migration.hash),
  };
}

export function imageKey(manifest: ImageManifest): string {
  return createHash("sha256").update(JSON.stringify(manifest)).digest("hex").slice(0, 16);
}

function pgliteVersion(): string {
  // The package exports no package.json; its entry point is dist/index.js.
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  const manifest = join(dirname(entry), "..", "package.json");
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/** The finished image for the current migrations and PGlite, if one was made: its pgdata folder. */
export function findImage(folder = IMAGES_FOLDER): string | undefined {
  const manifest = currentManifest();
  const dir = join(folder, imageKey(manifest));
  try {
    const made = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as ImageManifest;
    return JSON.stringify(made) === JSON.stringify(manifest) ? join(dir, "pgdata") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Copies the image into `pgdata` when that folder does not exist yet and an image matches; true if
 * it did. The copy goes to a name of this process's first and is renamed into place, so a start
 * killed half-way leaves no half-copied database behind (the next start copies again). Synchronous:
 * it runs on the embedded database's own thread, where nothing else waits, and a synchronous copy
 * of its thousand files takes a fifth of the time of fs.promises.cp.
 */
export function restoreImage(pgdata: string, folder = IMAGES_FOLDER): boolean {
  if (existsSync(pgdata)) return false;
  const image = findImage(folder);
  if (!image) return false;
  removeLeftovers(dirname(pgdata), `${basename(pgdata)}.partial-`);
  const partial = `${pgdata}.partial-${process.pid}`;
  try {
    cpSync(image, partial, { recursive: true });
    renameSync(partial, pgdata);
    return true;
  } catch (error) {
    if (existsSync(pgdata)) return false; // made meanwhile by someone else: open that one
    throw error;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/** Half-made copies (`<prefix>…-<pid>`) of processes that are gone. */
function removeLeftovers(dir: string, prefix: string): void {
  for (const entry of readdirSync(dir)) {
    const pid = Number(entry.slice(entry.lastIndexOf("-") + 1));
    if (entry.startsWith(prefix) && !isAlive(pid)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Makes the image for the current migrations unless it exists: `create` gets an empty folder and
 * must leave a stopped, migrated database in it. Images of other migrations are removed. Several
 * builds at once are safe: each makes its own and the first to rename it into place wins.
 */
export async function buildImage(
  create: (pgdata: string) => Promise<void>,
  folder = IMAGES_FOLDER,
): Promise<{ dir: string; built: boolean }> {
  const manifest = currentManifest();
  const key = imageKey(manifest);
  const dir = join(folder, key);
  if (findImage(folder)) return { dir, built: false };
  mkdirSync(folder, { recursive: true });
  removeLeftovers(folder, ".building-");
  const building = join(folder, `.building-${key}-${process.pid}`);
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building);
  try {
    await create(join(building, "pgdata"));
    writeFileSync(join(building, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    if (!findImage(folder)) {
      rmSync(dir, { recursive: true, force: true }); // an unfinished or foreign one
      try {
        renameSync(building, dir);
      } catch (error) {
        // Another build finished first; its image is the same.
        if (!findImage(folder)) throw error;
      }
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  for (const entry of readdirSync(folder)) {
    if (entry !== key && !entry.startsWith(".building-")) rmSync(join(folder, entry), { recursive: true, force: true });
  }
  return { dir, built: true };
}
