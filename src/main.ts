import { and, asc, eq } from "drizzle-orm";
import { startServer } from "./app.js";
import { createJwtService, loadConfigOrExit, openMigratedDatabase } from "./bootstrap.js";
import { users } from "./db/schema/index.js";
import { createLogger } from "./lib/logger.js";
import { stopOnSignals } from "./lib/shutdown.js";
import { demoSignInEnabled, isDatabaseEmpty, seedDemo } from "./seed/demo.js";

const config = loadConfigOrExit();
const log = createLogger(config.logLevel);
const database = await openMigratedDatabase(config);
const jwt = createJwtService(config);

// The embedded default is for trying the server out: an empty one gets the demo data.
let seeded = false;
if ((config.seedDemo ?? database.embedded) && (await isDatabaseEmpty(database.db))) {
  await seedDemo(database.db, { scoreCap: config.scoring.scoreCap });
  seeded = true;
  log.info("seeded demo data");
}

const demoSignIn = await demoSignInEnabled(database.db, {
  demoSignIn: config.signIn.demo,
  seedDemo: config.seedDemo,
  embedded: database.embedded,
});
const server = await startServer({ config, database, log, jwt, demoSignIn });

const [admin] = await database.db
  .select()
  .from(users)
  .where(and(eq(users.role, "admin"), eq(users.isActive, true)))
  .orderBy(asc(users.id))
  .limit(1);

const lines = [
  "",
  `KPI server ready: ${server.graphqlUrl}`,
  `Dashboard: ${server.url}/${demoSignIn ? " (demo sign-in: pick anyone on the sign-in page)" : ""}`,
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
process.stdout.write(lines.join("\n") + "\n");

stopOnSignals(log, async () => {
  await server.stop();
  await database.close();
});
