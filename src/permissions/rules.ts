import { allow, deny, or, shield, type IRules } from "graphql-shield";
import type { Context } from "../graphql/context.js";
import { type AppError, forbidden, unauthenticated } from "../lib/errors.js";
import {
  canBulkAssign,
  canManageUserArg,
  canManageUserKpiArg,
  canSeeParentMember,
  canSeeParentUser,
  canSeeUserKpiArg,
  canSeeUserArg,
  canViewParentTeam,
  canViewTeamArg,
  demoSignInEnabled,
  isAdmin,
  isAuthenticated,
  isManager,
  managesParentTeam,
  managesTeamArg,
  isSelfOrAdminByOptionalArg,
  ownsApiKeyArg,
} from "./predicates.js";

const isAdminOrManager = or(isAdmin, isManager);
// graphql-shield refuses two rule instances with the same name, so one instance serves every field using it.
const canManageUserKpiOfArg = canManageUserKpiArg("userKpiId");

/**
 * Who may read or do what, in one place. Every field not named here is denied (fallbackRule), so a
 * new field is invisible until a rule is written for it; test/unit/permission-rules.test.ts lists the
 * map so that every change of who-can-do-what shows in review.
 */
export const ruleTree = {
  Query: {
    // The sign-in page asks these before anyone has a token.
    signInOptions: allow,
    demoAccounts: demoSignInEnabled,
    me: isAuthenticated,
    user: canSeeUserArg("id"),
    users: isAdminOrManager,
    team: canViewTeamArg("id"),
    teams: isAuthenticated,
    kpiDefinitions: isAdminOrManager,
    kpiDefinition: isAdminOrManager,
    auditLog: isAdmin,
    apiKeys: isSelfOrAdminByOptionalArg("userId"),
    userKpi: canSeeUserKpiArg("id"),
    // Which runs: the service shows admins all, managers the ones they asked for.
    calculationRun: isAdminOrManager,
    calculationRuns: isAdminOrManager,
    calculationHealth: isAdmin,
    alertRules: isAdmin,
    // Which alerts: the service shows admins all, managers their teams' members'; users none.
    alerts: isAdminOrManager,
  },
  Mutation: {
    demoSignIn: demoSignInEnabled,
    createUser: isAdmin,
    updateUser: isAdmin,
    setUserExternalId: isAdmin,
    createTeam: isAdmin,
    updateTeam: isAdmin,
    addTeamMember: isAdmin,
    removeTeamMember: isAdmin,
    createApiKey: isAuthenticated,
    revokeApiKey: or(isAdmin, ownsApiKeyArg("id")),
    createKpiDefinition: isAdmin,
    updateKpiDefinition: isAdmin,
    assignKpi: canManageUserArg("userId"),
    bulkAssignKpi: canBulkAssign,
    updateUserKpi: canManageUserKpiArg("id"),
    recordMeasurement: canManageUserKpiOfArg,
    calculateUserKpi: canManageUserKpiOfArg,
    previewKpiDefinition: isAdmin,
    // Which users a manager may calculate is checked by the service (their teams' members).
    calculateKpis: isAdminOrManager,
    createAlertRule: isAdmin,
    updateAlertRule: isAdmin,
    // Which alert: the service lets admins and the managers of the user's teams.
    acknowledgeAlert: isAdminOrManager,
    setTeamNotifications: isAdmin,
  },
  // Checked when subscribing and again for each event (src/permissions/guard-subscriptions.ts), so a
  // manager who leaves the team stops receiving the member's values.
  Subscription: {
    measurementRecorded: canSeeUserArg("userId"),
    // Alerts are for managers: a member of the team does not hear of alerts about teammates.
    alertRaised: managesTeamArg("teamId"),
  },
  // Reaching a User is guarded by the field that returns it; its private parts are guarded again here.
  User: {
    id: allow,
    name: allow,
    role: allow,
    isActive: allow,
    createdAt: allow,
    email: canSeeParentUser,
    teams: canSeeParentUser,
    externalIds: isAdmin,
    kpis: canSeeParentUser,
    overallScore: canSeeParentUser,
    snapshots: canSeeParentUser,
  },
  ExternalId: { "*": allow },
  Team: {
    id: allow,
    name: allow,
    createdAt: allow,
    manager: allow,
    members: canViewParentTeam,
    averages: canViewParentTeam,
    trend: canViewParentTeam,
    notificationSettings: or(isAdmin, managesParentTeam),
  },
  // Teammates see each other's names; figures are for the member, their manager and admins.
  TeamMember: { user: allow, overallScore: canSeeParentMember, kpis: canSeeParentMember },
  TeamAverages: { "*": allow },
  KpiAverage: { "*": allow },
  KpiDefinition: {
    id: allow,
    name: allow,
    description: allow,
    category: allow,
    calculationType: allow,
    dataSource: isAdmin,
    // Managers record manual values: the range they must stay in is theirs to see.
    allowedRange: allow,
    unit: allow,
    additive: allow,
    aggregationPeriod: allow,
    targetType: allow,
    isActive: allow,
    createdBy: allow,
    createdAt: allow,
    updatedAt: allow,
  },
  // Reaching an assignment is guarded by the field that returns it (User.kpis, TeamMember.kpis, userKpi).
  UserKpi: {
    id: allow,
    user: allow,
    kpiDefinition: allow,
    targetValue: allow,
    weight: allow,
    startDate: allow,
    endDate: allow,
    isActive: allow,
    assignedBy: allow,
    assignedAt: allow,
    currentMeasurement: allow,
    trend: allow,
    history: allow,
    forecast: allow,
    comparison: allow,
  },
  KpiMeasurement: {
    id: allow,
    periodStart: allow,
    periodEnd: allow,
    actualValue: allow,
    targetValue: allow,
    achievementPercentage: allow,
    calculatedAt: allow,
    calculatedBy: allow,
    notes: allow,
    calculationMetadata: isAdmin,
  },
  KpiSnapshot: { "*": allow },
  KpiForecast: { "*": allow },
  ForecastPoint: { "*": allow },
  KpiComparison: { "*": allow },
  PeriodComparison: { "*": allow },
  TeamTrendPoint: { "*": allow },
  // Only admins can preview, and a preview shows the source's provenance like calculationMetadata.
  CalculationPreview: { "*": isAdmin },
  BulkAssignResult: { "*": allow },
  ApiKey: { "*": allow },
  ApiKeyCreated: { "*": allow },
  AuditEntry: { "*": isAdmin },
  CalculationRun: { "*": allow },
  // Reached only through calculationHealth (admins).
  CalculationHealth: { "*": allow },
  ScheduledRunStatus: { "*": allow },
  CalculationTotals: { "*": allow },
  JobQueueDepth: { "*": allow },
  // Reached only through alerts, alertRules and acknowledgeAlert, whose services scope them.
  Alert: { "*": allow },
  AlertRule: { "*": allow },
  TeamNotificationSettings: { "*": allow },
  ValueRange: { "*": allow },
  SignInOptions: { "*": allow },
  OidcSettings: { "*": allow },
  // Reached only through demoAccounts and demoSignIn, while demo sign-in is on.
  DemoAccount: { "*": allow },
  DemoSession: { "*": allow },
} satisfies IRules;

// A denial says only that it is one: the same error whether or not the target exists.
function denial(_error: unknown, _parent: unknown, _args: unknown, ctx: Context): AppError {
  return ctx.viewer ? forbidden() : unauthenticated();
}

export const permissions = shield(ruleTree, {
  fallbackRule: deny,
  fallbackError: denial as never,
  // Domain errors (NOT_FOUND, CONFLICT, …) pass through to the error formatter, which hides anything unexpected.
  allowExternalErrors: true,
});
