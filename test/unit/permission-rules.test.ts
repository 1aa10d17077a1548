import { getNamedType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from "graphql";
import { allow, and, chain, deny, not, or, race, type IRule } from "graphql-shield";
import { beforeAll, describe, expect, it } from "vitest";
import type { PubSub } from "type-graphql";
import { buildBareSchema, buildServedSchema } from "../../src/server/schema.js";
import { AppError } from "../../src/lib/errors.js";
import { Access } from "../../src/permissions/access.js";
import { ruleTree } from "../../src/permissions/rules.js";

/**
 * The rule map of src/permissions/rules.ts against the schema, without a server: every field has
 * an explicit rule (none relies on the deny fallback by accident), no rule names a field that is
 * gone, and the whole map is snapshotted so that any change of who-can-do-what shows in review.
 */

type AnyRule = IRule | { getRules(): AnyRule[] };
type FieldMap = Record<string, AnyRule>;
type Tree = Record<string, AnyRule | FieldMap>;

const isRule = (value: unknown): value is AnyRule => typeof (value as { resolve?: unknown })?.resolve === "function";

/** Object types of the schema, introspection types left out. */
function objectTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  return Object.values(schema.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith("__"),
  );
}

/** The rule graphql-shield applies to Type.field: the field's own entry, else the type's "*", else none. */
function ruleFor(tree: Tree, typeName: string, fieldName: string): AnyRule | undefined {
  const entry = tree[typeName];
  if (entry === undefined || isRule(entry)) return entry;
  return entry[fieldName] ?? entry["*"];
}

/** Whether Type.field is named in the rule map, or only covered by a wildcard. */
const isNamed = (tree: Tree, typeName: string, fieldName: string) => {
  const entry = tree[typeName];
  return entry !== undefined && !isRule(entry) && Object.prototype.hasOwnProperty.call(entry, fieldName);
};

/** "Type.field" of every schema field without an explicit rule. */
function uncoveredFields(schema: GraphQLSchema, tree: Tree): string[] {
  return objectTypes(schema).flatMap((type) =>
    Object.keys(type.getFields())
      .filter((field) => ruleFor(tree, type.name, field) === undefined)
      .map((field) => `${type.name}.${field}`),
  );
}

/** Rule entries naming a type or field the schema does not have. */
function staleEntries(schema: GraphQLSchema, tree: Tree): string[] {
  return Object.entries(tree).flatMap(([typeName, entry]) => {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) return [typeName];
    if (isRule(entry)) return [];
    const fields = type.getFields();
    return Object.keys(entry)
      .filter((field) => field !== "*" && !(field in fields))
      .map((field) => `${typeName}.${field}`);
  });
}

// graphql-shield does not export its logic-rule classes; tell them apart by prototype.
const logicKinds = new Map<object, string>([
  [Object.getPrototypeOf(or()), "or"],
  [Object.getPrototypeOf(and()), "and"],
  [Object.getPrototypeOf(chain()), "chain"],
  [Object.getPrototypeOf(race()), "race"],
  [Object.getPrototypeOf(not(allow)), "not"],
]);

/** A rule as text: its name, or e.g. "or(isAdmin, isManager)" for a logic rule. */
function describeRule(rule: AnyRule): string {
  if (rule === allow) return "allow";
  if (rule === deny) return "deny";
  if ("name" in rule && typeof rule.name === "string") return rule.name;
  const kind = logicKinds.get(Object.getPrototypeOf(rule));
  if (kind && "getRules" in rule) return `${kind}(${rule.getRules().map(describeRule).join(", ")})`;
  throw new Error(`unknown kind of rule: ${Object.getPrototypeOf(rule)?.constructor?.name}`);
}

const ROOT_TYPES = ["Query", "Mutation", "Subscription"];

/**
 * One line per schema field: Query, Mutation and Subscription first, then the other types by name,
 * fields by name; "(*)" marks a field covered by its type's wildcard rather than by name.
 */
function ruleMap(schema: GraphQLSchema, tree: Tree): string {
  const rank = (name: string) => (ROOT_TYPES.includes(name) ? ROOT_TYPES.indexOf(name) : ROOT_TYPES.length);
  return objectTypes(schema)
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))
    .flatMap((type) =>
      Object.keys(type.getFields())
        .sort()
        .map((field) => {
          const rule = ruleFor(tree, type.name, field);
          const via = rule && !isNamed(tree, type.name, field) ? " (*)" : "";
          return `${type.name}.${field}: ${rule ? describeRule(rule) : "(deny fallback)"}${via}`;
        }),
    )
    .join("\n");
}

let schema: GraphQLSchema;
const tree = ruleTree as unknown as Tree;

beforeAll(async () => {
  schema = await buildBareSchema();
});

describe("rule coverage", () => {
  it("walks the object types of the schema, Query, Mutation and Subscription included", () => {
    const names = objectTypes(schema).map((type) => type.name);
    expect(names).toEqual(
      expect.arrayContaining(["Query", "Mutation", "Subscription", "User", "Team", "TeamMember", "KpiDefinition", "AuditEntry"]),
    );
    expect(names.some((name) => name.startsWith("__"))).toBe(false);
  });

  it('every field of every object type has an explicit rule (field name or "*")', () => {
    expect(uncoveredFields(schema, tree)).toEqual([]);
  });

  it("every rule names a type and field that exist in the schema", () => {
    expect(staleEntries(schema, tree)).toEqual([]);
  });

  it("every type of the rule map is an object type reachable in the schema", () => {
    const reachable = new Set(
      objectTypes(schema).flatMap((type) => Object.values(type.getFields()).map((f) => getNamedType(f.type).name)),
    );
    for (const typeName of Object.keys(tree).filter((name) => !ROOT_TYPES.includes(name))) {
      expect(reachable, typeName).toContain(typeName);
    }
  });

  it("the checks find a missing field and a stale rule", () => {
    const { email: _email, ...userWithoutEmail } = ruleTree.User;
    const doctored = { ...tree, User: { ...userWithoutEmail, nickname: allow }, Ghost: { "*": allow } } as unknown as Tree;
    expect(uncoveredFields(schema, doctored)).toEqual(["User.email"]);
    expect(staleEntries(schema, doctored).sort()).toEqual(["Ghost", "User.nickname"]);
  });
});

describe("rule map", () => {
  it("describes rules readably", () => {
    expect(describeRule(ruleTree.Query.users)).toBe("or(isAdmin, isManager)");
    expect(describeRule(ruleTree.Mutation.revokeApiKey)).toBe("or(isAdmin, ownsApiKeyArg:id)");
    expect(describeRule(ruleTree.User.id)).toBe("allow");
    expect(describeRule(not(and(allow, deny)))).toBe("not(and(allow, deny))");
  });

  it("the denied fields are exactly those meant to be private", () => {
    const open = ruleMap(schema, tree)
      .split("\n")
      .filter(
        (line) =>
          !/: (allow|isAuthenticated)( \(\*\))?$/.test(line) && !line.startsWith("Mutation.") && !line.startsWith("AuditEntry."),
      );
    expect(open).toEqual([
      "Query.alertRules: isAdmin",
      "Query.alerts: or(isAdmin, isManager)",
      "Query.apiKeys: isSelfOrAdminByOptionalArg:userId",
      "Query.auditLog: isAdmin",
      "Query.calculationHealth: isAdmin",
      "Query.calculationRun: or(isAdmin, isManager)",
      "Query.calculationRuns: or(isAdmin, isManager)",
      "Query.demoAccounts: demoSignInEnabled",
      "Query.kpiDefinition: or(isAdmin, isManager)",
      "Query.kpiDefinitions: or(isAdmin, isManager)",
      "Query.team: canViewTeamArg:id",
      "Query.user: canSeeUserArg:id",
      "Query.userKpi: canSeeUserKpiArg:id",
      "Query.users: or(isAdmin, isManager)",
      "Subscription.alertRaised: managesTeamArg:teamId",
      "Subscription.measurementRecorded: canSeeUserArg:userId",
      "CalculationPreview.metadata: isAdmin (*)",
      "CalculationPreview.outcome: isAdmin (*)",
      "CalculationPreview.periodEnd: isAdmin (*)",
      "CalculationPreview.periodStart: isAdmin (*)",
      "CalculationPreview.reason: isAdmin (*)",
      "CalculationPreview.value: isAdmin (*)",
      "KpiDefinition.dataSource: isAdmin",
      "KpiMeasurement.calculationMetadata: isAdmin",
      "Team.averages: canViewParentTeam",
      "Team.members: canViewParentTeam",
      "Team.notificationSettings: or(isAdmin, managesParentTeam)",
      "Team.trend: canViewParentTeam",
      "TeamMember.kpis: canSeeParentMember",
      "TeamMember.overallScore: canSeeParentMember",
      "User.email: canSeeParentUser",
      "User.externalIds: isAdmin",
      "User.kpis: canSeeParentUser",
      "User.overallScore: canSeeParentUser",
      "User.snapshots: canSeeParentUser",
      "User.teams: canSeeParentUser",
    ]);
  });

  it("matches the snapshot (update with `npx vitest run -u` and review the diff)", () => {
    expect(ruleMap(schema, tree)).toMatchSnapshot();
  });
});

describe("subscriptions", () => {
  it("every Subscription field is checked when subscribing, before anything listens", async () => {
    const listened: string[] = [];
    const pubSub: PubSub = {
      publish: () => undefined,
      subscribe: (topic) => {
        listened.push(topic);
        throw new Error("subscribed without permission");
      },
    };
    const fields = Object.values((await buildServedSchema(pubSub)).getSubscriptionType()!.getFields());
    expect(fields.map((field) => field.name)).toContain("measurementRecorded");
    for (const field of fields) {
      // Anonymous: no rule of a subscription lets nobody in, and the check needs no database.
      const anonymous = { viewer: null, access: new Access(undefined as never, null) };
      const outcome = await field.subscribe!(undefined, { userId: "1", teamId: "1" }, anonymous, {} as never);
      expect(outcome, field.name).toBeInstanceOf(AppError);
      expect((outcome as AppError).code, field.name).toBe("UNAUTHENTICATED");
    }
    expect(listened).toEqual([]);
  });
});
