import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { DateScalar, DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";

export enum AlertKind {
  BELOW_TARGET = "below_target",
  MISSING_MEASUREMENT = "missing_measurement",
  SCORE_DROP = "score_drop",
}
registerEnumType(AlertKind, {
  name: "AlertKind",
  valuesConfig: {
    BELOW_TARGET: {
      description: "Achievement below `threshold` % (default 80) for `periods` (default 3) completed periods in a row.",
    },
    MISSING_MEASUREMENT: { description: "No value for the latest period that ended at least `graceDays` (default 0) days ago." },
    SCORE_DROP: { description: "Overall score more than `threshold` points (default 10) below the previous snapshot." },
  },
});

export enum AlertStatus {
  OPEN = "open",
  ACKNOWLEDGED = "acknowledged",
  RESOLVED = "resolved",
}
registerEnumType(AlertStatus, {
  name: "AlertStatus",
  valuesConfig: { RESOLVED: { description: "The condition cleared; it resolves itself." } },
});

@ObjectType({ description: "What raises alerts to managers." })
export class AlertRule {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => AlertKind)
  kind!: AlertKind;

  @Field(() => Float, { nullable: true })
  threshold!: number | null;

  @Field(() => Int, { nullable: true })
  periods!: number | null;

  @Field(() => Int, { nullable: true })
  graceDays!: number | null;

  @Field(() => String, { nullable: true, description: "Only KPIs of this category; all when both scopes are null." })
  category!: string | null;

  kpiDefinitionId!: number | null;

  @Field(() => Boolean)
  isActive!: boolean;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType({ description: "A condition seen for a user, raised once per streak, resolved when it clears." })
export class Alert {
  @Field(() => ID)
  id!: number;

  ruleId!: number;
  userId!: number;
  userKpiId!: number | null;
  acknowledgedBy!: number | null;

  @Field(() => AlertStatus)
  status!: AlertStatus;

  @Field(() => DateScalar, { description: "The first period (or snapshot date) the condition was seen in." })
  periodStart!: string;

  @Field(() => String)
  message!: string;

  @Field(() => JSONScalar, { description: "The figures behind it: achievements per period, scores, the threshold." })
  details!: unknown;

  @Field(() => DateTimeScalar)
  raisedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  acknowledgedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  resolvedAt!: Date | null;
}

@ObjectType({ description: "Where a team's alerts go besides its manager's e-mail." })
export class TeamNotificationSettings {
  @Field(() => String, { nullable: true })
  webhookUrl!: string | null;

  @Field(() => Boolean, { description: "Whether webhook bodies are signed (the secret itself is never shown)." })
  hasWebhookSecret!: boolean;

  @Field(() => [String])
  emails!: string[];
}

/** The settings each kind reads (see AlertKind); a setting the kind does not use is refused. */
@InputType()
abstract class AlertRuleSettingsInput {
  @Field(() => Float, { nullable: true })
  threshold?: number | null;

  @Field(() => Int, { nullable: true })
  periods?: number | null;

  @Field(() => Int, { nullable: true })
  graceDays?: number | null;
}

@InputType()
export class CreateAlertRuleInput extends AlertRuleSettingsInput {
  @Field(() => String)
  name!: string;

  @Field(() => AlertKind)
  kind!: AlertKind;

  @Field(() => String, { nullable: true })
  category?: string | null;

  @Field(() => ID, { nullable: true })
  kpiDefinitionId?: string | null;
}

@InputType({ description: "The kind cannot change; the other settings are checked against it." })
export class UpdateAlertRuleInput extends AlertRuleSettingsInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => Boolean, { nullable: true, description: "false stops the rule; its open alerts stay until acknowledged." })
  isActive?: boolean | null;
}

@InputType()
export class TeamNotificationsInput {
  @Field(() => String, { nullable: true, description: "An http(s) URL that receives a signed JSON POST per alert; null: none." })
  webhookUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Signs webhook bodies (X-Hub-Signature-256), 16+ characters; null keeps it.",
  })
  webhookSecret?: string | null;

  @Field(() => [String], { nullable: true, description: "More addresses besides the team manager's (at most 20)." })
  emails?: string[] | null;
}
