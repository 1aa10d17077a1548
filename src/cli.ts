import "reflect-metadata";
import { parseArgs } from "node:util";
import { createJwtService, loadConfigOrExit, openMigratedDatabase } from "./bootstrap.js";
import type { Database } from "./db/client.js";
import { AppError } from "./lib/errors.js";
import { findUserByEmail } from "./modules/user/user.store.js";
import { UserService } from "./modules/user/user.service.js";
import { isDatabaseEmpty, seedDemo } from "./seed/demo.js";
import { backfillRuns } from "./modules/run/backfill.js";
import { createRun, findRun } from "./modules/run/run.store.js";
import { createLogger } from "./lib/logger.js";
import { JOBS_DRAIN_MS } from "./lib/shutdown.js";
import { todayIn } from "./scoring/periods.js";
import { createServices } from "./services.js";

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  user:create --email E --name N [--role R] create a user (role: user, manager or admin; default user)
  token --email E [--ttl 12h]               print a JWT for that user (alone on stdout)
  seed:demo                                 load the demo teams, KPIs and measurements into an empty database
  calc [--period P] --date D                calculate the period (P: daily, weekly, monthly or quarterly; all
                                            four when absent) containing date D, for every assignment
  calc [--period P] --from D1 --to D2       calculate every period starting within D1..D2 (a backfill)
`;

const ROLES = ["user", "manager", "admin"] as const;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: "string" },
      name: { type: "string" },
      role: { type: "string" },
      ttl: { type: "string" },
      period: { type: "string" },
      date: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
    },
    strict: true,
  });
  if (!command || command === "help" || command === "--help") {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (!["migrate", "user:create", "token", "seed:demo", "calc"].includes(command)) {
    process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }

  const config = loadConfigOrExit();
  const database = await openMigratedDatabase(config);
  try {
    return await run(command, values, database, config);
  } finally {
    await database.close();
  }
}

async function run(
  command: string,
  values: {
    email?: string;
    name?: string;
    role?: string;
    ttl?: string;
    period?: string;
    date?: string;
    from?: string;
    to?: string;
  },
  database: Database,
  config: ReturnType<typeof loadConfigOrExit>,
): Promise<number> {
  switch (command) {
    case "migrate":
      process.stderr.write("Migrations applied; the database is up to date.\n");
      return 0;
    case "user:create": {
      if (!values.email || !values.name) return fail("user:create needs --email and --name");
      const role = (values.role ?? "user").toLowerCase();
      if (!(ROLES as readonly string[]).includes(role)) return fail(`--role must be one of ${ROLES.join(", ")}`);
      const user = await new UserService(database.db).create(null, {
        email: values.email,
        name: values.name,
        role: role as (typeof ROLES)[number],
      });
      process.stdout.write(`${JSON.stringify({ id: user.id, email: user.email, name: user.name, role: user.role })}\n`);
      return 0;
    }
    case "token": {
      if (!values.email) return fail("token needs --email");
      const user = await findUserByEmail(database.db, values.email);
      if (!user) return fail(`No user with e-mail ${values.email}`);
      if (!user.isActive) return fail(`User ${values.email} is deactivated`);
      const jwt = createJwtService(config);
      if (!jwt.canSign) return fail("Set JWT_SECRET to issue tokens");
      process.stdout.write(`${await jwt.sign(user, values.ttl)}\n`);
      return 0;
    }
    case "seed:demo": {
      if (!(await isDatabaseEmpty(database.db)))
        return fail("The database already has users; demo data is only loaded into an empty one");
      await seedDemo(database.db, { scoreCap: config.scoring.scoreCap });
      process.stderr.write("Demo data loaded. Admin: admin@example.com\n");
      return 0;
    }
    case "calc":
      return calculate(values, database, config);
  }
  return 2;
}

/**
 * Queues one run per period (trigger "backfill") and works on them in this process until they end
 * (a running server's workers help); prints one JSON line per run. Exit 1 when a run FAILED.
 */
async function calculate(
  values: { period?: string; date?: string; from?: string; to?: string },
  database: Database,
  config: ReturnType<typeof loadConfigOrExit>,
): Promise<number> {
  const today = todayIn(config.scoring.timeZone);
  let planned;
  try {
    planned = backfillRuns(values, today);
  } catch (error) {
    return fail((error as Error).message);
  }
  const services = createServices(database.db, config, { log: createLogger("warn"), embedded: database.embedded });
  try {
    const runs = [];
    for (const { aggregationPeriod, period } of planned) {
      const run = await createRun(database.db, {
        trigger: "backfill",
        selection: { aggregationPeriod },
        periodContaining: period.start,
        today,
        requestedBy: null,
      });
      await services.jobs.enqueuePlan(run.id);
      runs.push(run.id);
    }
    await services.jobs.start();
    let failed = false;
    for (const id of runs) {
      let run = await findRun(database.db, id);
      while (run && (run.status === "queued" || run.status === "running")) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        run = await findRun(database.db, id);
      }
      failed ||= run?.status === "failed";
      const { status, trigger, periodStart, periodEnd, succeeded, failed: failures, skipped, undefinedCount } = run!;
      process.stdout.write(
        `${JSON.stringify({ id, status, trigger, periodStart, periodEnd, succeeded, failed: failures, skipped, undefined: undefinedCount })}\n`,
      );
    }
    return failed ? 1 : 0;
  } finally {
    await services.jobs.stop(JOBS_DRAIN_MS);
    await services.close();
  }
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof AppError || error instanceof TypeError ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
