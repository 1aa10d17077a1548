import { SessionService, type SessionSettings } from "./modules/session/session.service.js";
import type { Config } from "./config/config.js";
import type { Db } from "./db/client.js";
import { ApiKeyService } from "./modules/api-key/api-key.service.js";
import { AssignmentService } from "./modules/assignment/assignment.service.js";
import { AuditService } from "./modules/audit/audit.service.js";
import { DefinitionService } from "./modules/definition/definition.service.js";
import { MeasurementService } from "./modules/measurement/measurement.service.js";
import { TeamService } from "./modules/team/team.service.js";
import { UserService } from "./modules/user/user.service.js";
import { InsightService } from "./modules/insight/insight.service.js";
import { todayIn } from "./scoring/periods.js";
import { AdapterRegistry } from "./engine/adapters/adapter.js";
import { AircallAdapter } from "./engine/adapters/aircall.adapter.js";
import { GoogleWorkspaceAdapter } from "./engine/adapters/google-workspace.adapter.js";
import { HttpJsonAdapter } from "./engine/adapters/http.adapter.js";
import { IntercomAdapter } from "./engine/adapters/intercom.adapter.js";
import { Calculator } from "./engine/calculator/calculator.js";
import { DefinitionChecker } from "./engine/calculator/definition-checker.js";
import { existingDefinitionIds, formulaGraph } from "./modules/definition/definition.store.js";
import { QueryRunner } from "./engine/query/query-runner.js";
import { SourceConnections } from "./engine/query/source-connections.js";
import { kpiValueForPeriod } from "./modules/calculation/calculation.store.js";
import { CalculationService } from "./modules/calculation/calculation.service.js";
import { Jobs } from "./jobs/jobs.js";
import { JOB } from "./jobs/job-names.js";
import type { StoredMeasurement } from "./modules/run/dependents.store.js";
import { Notifier } from "./modules/alert/alert-notifier.js";
import { AlertService } from "./modules/alert/alert.service.js";
import type { JobStore } from "./jobs/job-store.js";
import { MongoJobStore } from "./jobs/mongo-job-store.js";
import { PostgresJobStore } from "./jobs/postgres-job-store.js";
import { RunService } from "./modules/run/run.service.js";
import type { Logger } from "./lib/logger.js";
import { isDatabaseUnavailable } from "./lib/unavailable.js";
import { createLiveEvents } from "./live/live-events.js";
import type { Metrics } from "./observability/metrics.js";

export interface ServicesOptions {
  /** Sign-in settings of a server that serves GraphQL; demo sign-in is off without them (CLI, jobs, benchmarks). */
  session?: SessionSettings;
  log: Logger;
  /** Whether the database is the embedded one (it cannot LISTEN for job notifications or live events). */
  embedded: boolean;
  /** Where API calls, calculations and runs are counted and timed; none when absent (CLI, benchmarks). */
  metrics?: Metrics;
}

/** The composition root: every service is built once here and shared by GraphQL, the CLI and jobs. */
export function createServices(
  db: Db,
  config: Pick<Config, "scoring" | "sources" | "adapters" | "jobs" | "alerts" | "publicUrl" | "outbound">,
  options: ServicesOptions,
) {
  const today = () => todayIn(config.scoring.timeZone);
  const sourceConnections = new SourceConnections(db.$client, config.sources.databaseUrls);
  const queries = new QueryRunner(sourceConnections, {
    timeoutMs: config.sources.queryTimeoutMs,
    timeZone: config.scoring.timeZone,
  });
  const live = createLiveEvents(db.$client, { embedded: options.embedded, log: options.log });
  const calculator = new Calculator(queries, createAdapters(config, options.metrics), (userId, definitionId, period) =>
    kpiValueForPeriod(db.$client, userId, definitionId, period),
  );
  const notifier = new Notifier({
    smtpUrl: config.alerts.smtpUrl,
    emailFrom: config.alerts.emailFrom,
    timeoutMs: config.alerts.timeoutMs,
    publicUrl: config.publicUrl,
    outbound: config.outbound,
  });
  const jobs = new Jobs(
    {
      db,
      calculator,
      queries,
      notifier,
      today,
      log: options.log,
      store: createJobStore(db, config.jobs, options),
      metrics: options.metrics,
      live: live.pubSub,
    },
    { ...config.jobs, timeZone: config.scoring.timeZone, scoreCap: config.scoring.scoreCap, alerts: config.alerts },
  );
  const runs = new RunService(db, jobs, today);
  // The entry is committed whatever happens here: a recalculation or an alert check that cannot be
  // queued is logged, and the next scheduled run catches up. An entry committed just as the database
  // went away is that case too, so it is a warning without a stack, as every outage line is.
  const notQueued = (what: string, stored: StoredMeasurement) => (error: unknown) =>
    isDatabaseUnavailable(error)
      ? options.log.warn({ err: error, ...stored }, `${what} not queued: database unavailable`)
      : options.log.error({ err: error, ...stored }, `could not queue ${what}`);
  const afterStored = async (stored: StoredMeasurement) => {
    const { userId, userKpiId, periodStart, periodEnd } = stored;
    live.pubSub.publish("measurementRecorded", userId, { userKpiId, periodStart, periodEnd });
    await runs.recalculateDependents(stored).catch(notQueued("the dependent formula KPIs", stored));
    if (stored.actorId !== null) {
      await jobs.enqueue(JOB.evaluateAlerts, { userIds: [stored.userId] }).catch(notQueued("the alert check", stored));
    }
  };
  return {
    calculations: new CalculationService(db, calculator, today, afterStored),
    jobs,
    runs,
    alerts: new AlertService(db, config.outbound),
    live,
    /** Closes what the services opened themselves (live events, source database pools, a MongoDB job store's client). */
    close: async () => {
      await live.close();
      await sourceConnections.close();
      await jobs.close();
      notifier.close();
    },
    users: new UserService(db),
    teams: new TeamService(db),
    definitions: new DefinitionService(
      db,
      new DefinitionChecker(
        queries,
        { formulaGraph: () => formulaGraph(db), existingDefinitionIds: (ids) => existingDefinitionIds(db, ids) },
        today,
        config.outbound,
      ),
    ),
    assignments: new AssignmentService(db),
    insights: new InsightService(),
    measurements: new MeasurementService(db, today, afterStored),
    apiKeys: new ApiKeyService(db),
    session: new SessionService(db, options.session ?? { demo: false }),
    audit: new AuditService(db),
  };
}

/** Agenda's jobs in MongoDB when JOBS_MONGODB_URL is set, else in the server's own PostgreSQL. */
function createJobStore(db: Db, jobs: Config["jobs"], options: ServicesOptions): JobStore {
  if (jobs.mongodbUrl) return new MongoJobStore(jobs.mongodbUrl);
  return new PostgresJobStore(db.$client, { notifications: !options.embedded, log: options.log });
}

/** The SaaS adapters of API definitions, configured from the environment (see .env.example). */
function createAdapters(
  config: Pick<Config, "scoring" | "adapters" | "outbound">,
  metrics: Metrics | undefined,
): AdapterRegistry {
  const { adapters } = config;
  const timeZone = config.scoring.timeZone;
  const timeoutMs = adapters.timeoutMs;
  return new AdapterRegistry([
    new IntercomAdapter({ ...adapters.intercom, timeZone, timeoutMs, metrics }),
    new AircallAdapter({ ...adapters.aircall, timeZone, timeoutMs, metrics }),
    new GoogleWorkspaceAdapter({ ...adapters.google, timeoutMs, metrics, today: () => todayIn(timeZone) }),
    new HttpJsonAdapter({ secrets: adapters.httpSecrets, outbound: config.outbound, timeoutMs, metrics }),
  ]);
}

export type Services = ReturnType<typeof createServices>;
