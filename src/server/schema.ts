import "reflect-metadata";
import { printSchema, lexicographicSortSchema, type GraphQLSchema } from "graphql";
import { applyMiddleware } from "graphql-middleware";
import { buildSchema, getMetadataStorage, type PubSub } from "type-graphql";
import { ApiKeyResolver } from "../modules/api-key/api-key.resolver.js";
import { AssignmentResolver } from "../modules/assignment/assignment.resolver.js";
import { AlertResolver, AlertRuleResolver, TeamNotificationsResolver } from "../modules/alert/alert.resolver.js";
import { TeamInsightResolver, UserKpiInsightResolver } from "../modules/insight/insight.resolver.js";
import { MeasurementResolver, UserKpiMeasurementsResolver } from "../modules/measurement/measurement.resolver.js";
import {
  KpiAverageResolver,
  TeamAveragesResolver,
  TeamMemberScoresResolver,
  TeamScoresResolver,
  UserScoresResolver,
} from "../modules/score/score.resolver.js";
import { CalculationResolver } from "../modules/calculation/calculation.resolver.js";
import { AuditResolver } from "../modules/audit/audit.resolver.js";
import { RunResolver } from "../modules/run/run.resolver.js";
import { DefinitionResolver } from "../modules/definition/definition.resolver.js";
import { SessionResolver } from "../modules/session/session.resolver.js";
import { TeamResolver, UserTeamsResolver } from "../modules/team/team.resolver.js";
import { AuditActorResolver, UserResolver } from "../modules/user/user.resolver.js";
import { callFieldResolversDirectly } from "./direct-field-resolvers.js";
import { guardSubscriptions } from "../permissions/guard-subscriptions.js";
import { permissions, ruleTree } from "../permissions/rules.js";
import { skipAllowedFields } from "../permissions/skip-allowed.js";

export const resolvers = [
  UserResolver,
  UserScoresResolver,
  TeamResolver,
  UserTeamsResolver,
  TeamScoresResolver,
  TeamMemberScoresResolver,
  TeamAveragesResolver,
  KpiAverageResolver,
  DefinitionResolver,
  AssignmentResolver,
  UserKpiInsightResolver,
  TeamInsightResolver,
  MeasurementResolver,
  UserKpiMeasurementsResolver,
  CalculationResolver,
  RunResolver,
  AlertResolver,
  AlertRuleResolver,
  TeamNotificationsResolver,
  ApiKeyResolver,
  AuditResolver,
  AuditActorResolver,
  SessionResolver,
] as const;

/** type-graphql wants a PubSub for any schema with subscriptions; a schema only printed or inspected never uses it. */
const notServed: PubSub = {
  publish() {
    throw new Error("this schema is not served: build it with buildServedSchema(pubSub)");
  },
  subscribe() {
    throw new Error("this schema is not served: build it with buildServedSchema(pubSub)");
  },
};

/**
 * type-graphql gives every field without a @FieldResolver its own resolver, which runs the (empty)
 * middleware chain around `root[name]`; a dashboard's thousands of such fields then each cost a call,
 * an allocation and, for a compiled query, a resolve-info object. As simple fields they keep graphql's
 * default resolver, a property read; fields with a @FieldResolver are unchanged. We use no type-graphql
 * middleware or authChecker (permissions are graphql-shield's), so nothing is skipped.
 */
function readPlainFieldsDirectly(): void {
  for (const objectType of getMetadataStorage().objectTypes) objectType.simpleResolvers ??= true;
}

/** The schema as the resolvers declare it, without permissions: what schema.graphql is printed from. */
export async function buildBareSchema(pubSub: PubSub = notServed): Promise<GraphQLSchema> {
  readPlainFieldsDirectly();
  const schema = await buildSchema({
    resolvers: [...resolvers],
    validate: { forbidUnknownValues: false },
    pubSub,
  });
  return callFieldResolversDirectly(schema);
}

/**
 * The served schema: every field checked by its permission rule (fields whose rule is `allow` need no
 * check), subscriptions also when subscribing; subscriptions listen on `pubSub` (the live events).
 */
export async function buildServedSchema(pubSub: PubSub): Promise<GraphQLSchema> {
  const shielded = applyMiddleware(await buildBareSchema(pubSub), skipAllowedFields(permissions, ruleTree));
  return guardSubscriptions(shielded, permissions);
}

export function printSortedSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + "\n";
}
