import {
  Arg,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from "type-graphql";
import type { AlertRow, AlertRuleRow, TeamNotificationSettingsRow, TeamRow } from "../../db/schema/index.js";
import type { Context } from "../../graphql/context.js";
import { acknowledgeableAlert, alertScope } from "../../permissions/scopes.js";
import { viewerOf } from "../../permissions/viewer.js";
import { notFound, parseId } from "../../lib/errors.js";
import type { AlertRaisedEvent, LiveTopics } from "../../live/topics.js";
import { boundedLimit } from "../../lib/limits.js";
import { UserKpi } from "../assignment/assignment.type.js";
import { KpiDefinition } from "../definition/definition.type.js";
import { Team } from "../team/team.type.js";
import { User } from "../user/user.type.js";
import {
  Alert,
  AlertRule,
  AlertStatus,
  CreateAlertRuleInput,
  TeamNotificationSettings,
  TeamNotificationsInput,
  UpdateAlertRuleInput,
} from "./alert.type.js";

export const MAX_ALERTS = 500;

@Resolver(() => Alert)
export class AlertResolver {
  @Query(() => [AlertRule], { description: "Admins." })
  alertRules(@Ctx() ctx: Context): Promise<AlertRuleRow[]> {
    return ctx.services.alerts.listRules();
  }

  @Query(() => [Alert], {
    description:
      "Newest first. Admins: all alerts, or one team's; managers: those about the members of the teams they manage. Users see none.",
  })
  async alerts(
    @Ctx() ctx: Context,
    @Arg("teamId", () => ID, { nullable: true }) teamId?: string | null,
    @Arg("status", () => AlertStatus, { nullable: true }) status?: AlertStatus | null,
    @Arg("limit", () => Int, { nullable: true, defaultValue: 50 }) limit = 50,
  ): Promise<AlertRow[]> {
    const query = {
      teamId: teamId == null ? undefined : parseId(teamId, "teamId"),
      status: status ?? undefined,
      limit: boundedLimit(limit, MAX_ALERTS),
    };
    return ctx.services.alerts.list(await alertScope(ctx.access, query.teamId), query);
  }

  @Mutation(() => AlertRule, { description: "Admins. Settings the kind does not use are refused." })
  createAlertRule(@Arg("input", () => CreateAlertRuleInput) input: CreateAlertRuleInput, @Ctx() ctx: Context) {
    return ctx.services.alerts.createRule(viewerOf(ctx).id, {
      ...input,
      kpiDefinitionId: input.kpiDefinitionId == null ? null : parseId(input.kpiDefinitionId, "kpiDefinitionId"),
    });
  }

  @Mutation(() => AlertRule, { description: "Admins." })
  updateAlertRule(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateAlertRuleInput) input: UpdateAlertRuleInput,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.alerts.updateRule(viewerOf(ctx).id, parseId(id), input);
  }

  @Mutation(() => Alert, { description: "A manager of the user's team (or an admin) has seen it. Idempotent." })
  async acknowledgeAlert(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): Promise<AlertRow> {
    const alertId = parseId(id);
    const alert = await acknowledgeableAlert(ctx.access, await ctx.services.alerts.find(alertId), alertId);
    return ctx.services.alerts.acknowledge(viewerOf(ctx).id, alert);
  }

  @Mutation(() => TeamNotificationSettings, { description: "Admins: where a team's alerts go besides its manager's e-mail." })
  async setTeamNotifications(
    @Arg("teamId", () => ID) teamId: string,
    @Arg("input", () => TeamNotificationsInput) input: TeamNotificationsInput,
    @Ctx() ctx: Context,
  ): Promise<TeamNotificationSettings> {
    return notificationSettings(await ctx.services.alerts.setTeamNotifications(parseId(teamId, "teamId"), input));
  }

  @Subscription(() => Alert, {
    topics: "alertRaised" satisfies keyof LiveTopics,
    topicId: ({ args }: SubscribeResolverData<unknown, { teamId: string }>) => parseId(args.teamId, "teamId"),
    description:
      "Each alert raised from now on about a member of the team, in any server process. The team's manager and admins; over WebSocket (graphql-ws).",
  })
  async alertRaised(
    @Arg("teamId", () => ID) teamId: string,
    @Root() event: AlertRaisedEvent,
    @Ctx() ctx: Context,
  ): Promise<AlertRow> {
    const alert = await ctx.loaders.alertOfTeam.load({ alertId: event.alertId, teamId: parseId(teamId, "teamId") });
    // Only for an event that names no alert of this team's members: one not sent by us, or a member who left.
    if (!alert) throw notFound("Alert", event.alertId);
    return alert;
  }

  @FieldResolver(() => AlertRule)
  rule(@Root() alert: AlertRow, @Ctx() ctx: Context) {
    return ctx.loaders.alertRuleById.load(alert.ruleId);
  }

  @FieldResolver(() => User)
  user(@Root() alert: AlertRow, @Ctx() ctx: Context) {
    return ctx.loaders.userById.load(alert.userId);
  }

  @FieldResolver(() => UserKpi, { nullable: true, description: "Null for SCORE_DROP alerts (the overall score)." })
  userKpi(@Root() alert: AlertRow, @Ctx() ctx: Context) {
    return alert.userKpiId === null ? null : ctx.loaders.userKpiById.load(alert.userKpiId);
  }

  @FieldResolver(() => User, { nullable: true })
  acknowledgedBy(@Root() alert: AlertRow, @Ctx() ctx: Context) {
    return alert.acknowledgedBy === null ? null : ctx.loaders.userById.load(alert.acknowledgedBy);
  }
}

@Resolver(() => AlertRule)
export class AlertRuleResolver {
  @FieldResolver(() => KpiDefinition, { nullable: true, description: "Only this KPI; null when the rule is not scoped to one." })
  kpiDefinition(@Root() rule: AlertRuleRow, @Ctx() ctx: Context) {
    return rule.kpiDefinitionId === null ? null : ctx.loaders.definitionById.load(rule.kpiDefinitionId);
  }
}

@Resolver(() => Team)
export class TeamNotificationsResolver {
  @FieldResolver(() => TeamNotificationSettings, { description: "Admins and the team's manager." })
  async notificationSettings(@Root() team: TeamRow, @Ctx() ctx: Context): Promise<TeamNotificationSettings> {
    return notificationSettings(await ctx.services.alerts.teamNotifications(team.id));
  }
}

/** What a team's settings show (the webhook secret never): a team without any has none of each. */
function notificationSettings(row: TeamNotificationSettingsRow | undefined): TeamNotificationSettings {
  return { webhookUrl: row?.webhookUrl ?? null, hasWebhookSecret: row?.webhookSecret != null, emails: row?.emails ?? [] };
}
