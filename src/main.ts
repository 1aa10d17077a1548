import { and, asc, eq } from "drizzle-orm";
import type { JwtService } from "./auth/jwt.js";
import { createJwtService, loadConfigOrExit, openMigratedDatabase } from "./bootstrap.js";
import type { Config } from "./config/config.js";
import type { Database } from "./db/client.js";
import { users } from "./db/schema/index.js";
import { createLogger, type Logger } from "./lib/logger.js";
import { stopOnSignals } from "./lib/shutdown.js";
import { demoSignInEnabled, isDatabaseEmpty, seedDemo } from "./seed/demo.js";
import type { RunningServer } from "./server/start-server.js";

// The API process: configuration, the database, the demo data where it is wanted, then the server
// (services, routes, listening, jobs: server/start-server.ts), what it prints, and how it stops.
// The database opens, migrates and gets its demo data while the server's modules load: they are
// most of a start, and an embedded database starts in a thread of its own (db/embedded.ts).
const config = loadConfigOrExit();
const log = createLogger(config.logLevel);
const opening = openMigratedDatabase(config).then(async (database) => ({
  database,
  demo: await prepareDemo(config, database, log),
}));
opening.catch(() => undefined); // awaited below, once the modules have loaded
const { startServer } = await import("./server/start-server.js");
const { database, demo } = await opening;
const jwt = createJwtService(config);
const server = await startServer({ config, database, log, jwt, demoSignIn: demo.signIn });
process.stdout.write(await readyMessage(server, { config, database, jwt, ...demo }));
stopOnSignals(log, async () => {
  await server.stop();
  await database.close();
});

/** The embedded default is for trying the server out: an empty one gets the demo data. */
async function prepareDemo(config: Config, database: Database, log: Logger): Promise<{ seeded: boolean; signIn: boolean }> {
  let seeded = false;
  if ((config.seedDemo ?? database.embedded) && (await isDatabaseEmpty(database.db))) {
    await seedDemo(database.db, { scoreCap: config.scoring.scoreCap });
    seeded = true;
    log.info("seeded demo data");
  }
  const signIn = await demoSignInEnabled(database.db, {
    demoSignIn: config.signIn.demo,
    seedDemo: config.seedDemo,
    embedded: database.embedded,
  });
  return { seeded, signIn };
}

/** Where the server answers, which database it uses and, where it runs for trying out, an admin's token. */
async function readyMessage(
  server: RunningServer,
  options: { config: Config; database: Database; jwt: JwtService; seeded: boolean; signIn: boolean },
): Promise<string> {
  const { config, database, jwt, seeded } = options;
  const [admin] = await database.db
    .select()
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.isActive, true)))
    .orderBy(asc(users.id))
    .limit(1);

  const lines = [
    "",
    `KPI server ready: ${server.graphqlUrl}`,
    `Dashboard: ${server.url}/${options.signIn ? " (demo sign-in: pick anyone on the sign-in page)" : ""}`,
    `Database: ${database.embedded ? `embedded PostgreSQL in ${config.database.dataDir}` : "DATABASE_URL"}${seeded ? " (demo data seeded)" : ""}`,
  ];
  // A ready-made token only where the server runs for trying out; elsewhere the CLI issues them.
  if (admin && jwt.canSign && (database.embedded || seeded)) {
    lines.push(
      `Admin token for ${admin.email} (valid ${config.auth.tokenTtl}):`,
      `  ${await jwt.sign(admin)}`,
      `Try: curl -s ${server.graphqlUrl} -H 'content-type: application/json' -H "authorization: Bearer <token>" -d '{"query":"{ me { name role } teams { name } }"}'`,
    );
  }
  lines.push(`Another user's token: npm run --silent cli -- token --email <email>`, "");
  return lines.join("\n") + "\n";
}
