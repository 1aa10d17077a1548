import type { Config } from "./config/config.js";
import type { Db } from "./db/client.js";
import { ApiKeyService } from "./modules/api-key/api-key.service.js";
import { AssignmentService } from "./modules/assignment/assignment.service.js";
import { AuditService } from "./modules/audit/audit.service.js";
import { DefinitionService } from "./modules/definition/definition.service.js";
import { MeasurementService } from "./modules/measurement/measurement.service.js";
import { TeamService } from "./modules/team/team.service.js";
import { UserService } from "./modules/user/user.service.js";
import { todayIn } from "./scoring/periods.js";
import { AdapterRegistry } from "./engine/adapters/adapter.js";
import { Calculator } from "./engine/calculator.js";
import { DefinitionChecker } from "./engine/definition-checker.js";
import { existingDefinitionIds, formulaGraph } from "./modules/definition/definition.store.js";
import { QueryRunner } from "./engine/query/query-runner.js";
import { SourceConnections } from "./engine/query/source-connections.js";
import { kpiValueForPeriod } from "./modules/calculation/calculation.store.js";
import { CalculationService } from "./modules/calculation/calculation.service.js";

/** The composition root: every service is built once here and shared by GraphQL, the CLI and jobs. */
export function createServices(db: Db, config: Pick<Config, "scoring" | "sources">) {
  const today = () => todayIn(config.scoring.timeZone);
  const sourceConnections = new SourceConnections(db.$client, config.sources.databaseUrls);
  const queries = new QueryRunner(sourceConnections, { timeoutMs: config.sources.queryTimeoutMs, timeZone: config.scoring.timeZone });
  const calculator = new Calculator(queries, new AdapterRegistry(), (userId, definitionId, period) =>
    kpiValueForPeriod(db.$client, userId, definitionId, period),
  );
  return {
    calculations: new CalculationService(db, calculator, today),
    /** Closes what the services opened themselves (source database pools). */
    close: () => sourceConnections.close(),
    users: new UserService(db),
    teams: new TeamService(db),
    definitions: new DefinitionService(
      db,
      new DefinitionChecker(queries, { formulaGraph: () => formulaGraph(db), existingDefinitionIds: (ids) => existingDefinitionIds(db, ids) }, today),
    ),
    assignments: new AssignmentService(db),
    measurements: new MeasurementService(db, today),
    apiKeys: new ApiKeyService(db),
    audit: new AuditService(db),
  };
}

export type Services = ReturnType<typeof createServices>;
