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

/** The composition root: every service is built once here and shared by GraphQL, the CLI and jobs. */
export function createServices(db: Db, scoring: Config["scoring"]) {
  const today = () => todayIn(scoring.timeZone);
  return {
    users: new UserService(db),
    teams: new TeamService(db),
    definitions: new DefinitionService(db),
    assignments: new AssignmentService(db),
    measurements: new MeasurementService(db, today),
    apiKeys: new ApiKeyService(db),
    audit: new AuditService(db),
  };
}

export type Services = ReturnType<typeof createServices>;
