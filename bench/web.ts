/**
 * Web dashboard benchmark (`npm run bench:web`):
 * 1. Budget: the JavaScript a first load of the sign-in page and the user view takes (the entry
 *    chunk and its static imports, from Vite's manifest), gzipped as the server sends it; and the
 *    lazily loaded chunks of the team and admin views.
 *    In Chromium, the same first loads as a browser takes them: the scripts' bytes on the wire.
 * 2. Team view: in Debian's Chromium, the time from navigation to a 50-member team page being
 *    interactive (every member's row rendered, nothing left loading) on bench:read's dataset (10,000
 *    users in teams of 50, 5 KPIs, 12 months), in a new browser context each time (no HTTP cache),
 *    with the server's response cache on (as between writes) and off (as after every write).
 * Settings: BENCH_DATABASE_URL, BENCH_KEEP=1 (reuse kpi_bench), BENCH_RUNS (default 7), CHROMIUM_PATH.
 */
import { chromium, type Browser, type BrowserContext } from "@playwright/test";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { databaseUrl, dropDatabase, onServer } from "./bench-database.js";
import { startBenchServer } from "./bench-server.js";
import { DB_NAME, prepareDatabase, TEAM_SIZE } from "./read-dataset.js";
import { e2e } from "../test/browser/support/servers.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const KEEP = process.env.BENCH_KEEP === "1";
const DIST = "web/dist";

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  isEntry?: boolean;
  name?: string;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const gzipped = (file: string) => gzipSync(readFileSync(join(DIST, file))).length;

/** The chunks a page load fetches before the app runs: the entry and its static imports, recursively. */
function staticClosure(manifest: Record<string, ManifestChunk>, key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key]?.imports ?? []) staticClosure(manifest, imported, seen);
  return seen;
}

function budget(): void {
  const manifest = JSON.parse(readFileSync(join(DIST, ".vite/manifest.json"), "utf8")) as Record<string, ManifestChunk>;
  const entry = Object.keys(manifest).find((key) => manifest[key]!.isEntry)!;
  const initial = staticClosure(manifest, entry);
  const initialJs = [...initial].map((key) => manifest[key]!.file);
  const total = initialJs.reduce((sum, file) => sum + gzipped(file), 0);
  console.log("first load (sign-in page and user view), JavaScript gzipped:");
  for (const file of initialJs) console.log(`  ${file.padEnd(44)} ${kb(gzipped(file)).padStart(10)}`);
  console.log(`  ${"total".padEnd(44)} ${kb(total).padStart(10)}   (budget 300 KB)`);
  console.log("loaded on demand, gzipped (with the chunks they share):");
  for (const key of manifest[entry]!.dynamicImports ?? []) {
    const extra = [...staticClosure(manifest, key)].filter((chunk) => !initial.has(chunk));
    const size = extra.reduce((sum, chunk) => sum + gzipped(manifest[chunk]!.file), 0);
    console.log(`  ${(manifest[key]!.name ?? key).padEnd(44)} ${kb(size).padStart(10)}`);
  }
}

/** The JavaScript a new browser downloads (bytes on the wire, gzipped) until `ready` holds on `path`. */
async function scriptBytes(
  browser: Browser,
  url: string,
  path: string,
  token: string | null,
  ready: { selector: string; count: number },
): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  if (token) await signedIn(context, token);
  const page = await context.newPage();
  try {
    await page.goto(`${url}${path}`);
    // A function, not a string: the page's CSP forbids evaluating strings.
    await page.waitForFunction(
      ({ selector, count }) => (globalThis as any).document.querySelectorAll(selector).length >= count,
      ready,
      { timeout: 30_000 },
    );
    return await page.evaluate(() =>
      (globalThis as any).performance
        .getEntriesByType("resource")
        .filter((entry: any) => entry.initiatorType === "script" || entry.name.endsWith(".js"))
        .reduce((sum: number, entry: any) => sum + entry.encodedBodySize, 0),
    );
  } finally {
    await context.close();
  }
}

async function signedIn(context: BrowserContext, token: string): Promise<void> {
  const session = JSON.stringify({ token, expiresAt: Date.now() + 3_600_000, via: "demo" });
  await context.addInitScript((value) => (globalThis as any).localStorage.setItem("kpi.session", value), session);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Milliseconds from navigation start until the team page shows every member and its chart. */
async function teamPageInteractive(browser: Browser, url: string, token: string, teamId: number): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await signedIn(context, token);
  const page = await context.newPage();
  try {
    await page.goto(`${url}/teams/${teamId}`, { waitUntil: "commit" });
    const handle = await page.waitForFunction(
      (members) => {
        // The root tsconfig has no DOM types (server code): the page's globals, untyped.
        const page = globalThis as any;
        const main = page.document.querySelector("main");
        const rows = main?.querySelectorAll("table tbody tr").length ?? 0;
        // Every part settled: no "Loading…" left (the chart, or its "No scores yet" where there are no snapshots).
        return rows >= members && !/Loading/.test(main.innerText) ? performance.now() : false;
      },
      TEAM_SIZE,
      { polling: "raf", timeout: 30_000 },
    );
    return (await handle.jsonValue()) as number;
  } catch (error) {
    await page.screenshot({ path: "/tmp/bench-web-timeout.png" });
    throw error;
  } finally {
    await context.close();
  }
}

async function teamView(): Promise<void> {
  await prepareDatabase(KEEP);
  const { manager, member, teamId } = await onServer(databaseUrl(DB_NAME), async (client) => {
    const { rows } = await client.query(
      "SELECT t.id AS team_id, u.id, u.email FROM teams t JOIN users u ON u.id = t.manager_id ORDER BY t.id LIMIT 1",
    );
    const members = await client.query("SELECT id, email FROM users WHERE role = 'user' ORDER BY id LIMIT 1");
    return {
      manager: { id: rows[0].id as number, email: rows[0].email as string },
      member: { id: members.rows[0].id as number, email: members.rows[0].email as string },
      teamId: rows[0].team_id as number,
    };
  });
  const browser = await chromium.launch({
    executablePath: e2e.chromium,
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    for (const [mode, env] of [
      ["response cache on", {}],
      ["response cache off", { RESPONSE_CACHE_MB: "0" }],
    ] as const) {
      const server = await startBenchServer(databaseUrl(DB_NAME), env);
      try {
        const token = await server.jwt.sign(manager);
        if (mode === "response cache on") {
          const url = server.running.url;
          const signIn = await scriptBytes(browser, url, "/signin", null, { selector: "main h1", count: 1 });
          // The user view is ready when its five KPI cards have drawn their sparklines.
          const ready = { selector: "main .chart svg", count: 5 };
          const userView = await scriptBytes(browser, url, "/me", await server.jwt.sign(member), ready);
          console.log(
            `in Chromium, JavaScript on the wire (gzipped): sign-in page ${kb(signIn)}, user view ${kb(userView)} (the sign-in page's included)   (budget 300 KB)`,
          );
        }
        // A first navigation warms the server (modules, JIT) and, with the cache on, the team's response.
        await teamPageInteractive(browser, server.running.url, token, teamId);
        const times: number[] = [];
        for (let run = 0; run < RUNS; run++) times.push(await teamPageInteractive(browser, server.running.url, token, teamId));
        console.log(
          `team view (${TEAM_SIZE} members), ${mode}: median ${Math.round(median(times))} ms, ` +
            `min ${Math.round(Math.min(...times))}, max ${Math.round(Math.max(...times))} over ${RUNS} runs   (budget 1,500 ms)`,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await browser.close();
    if (!KEEP) await dropDatabase(DB_NAME).catch(console.error);
  }
}

console.log(`${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`);
budget();
await teamView();
