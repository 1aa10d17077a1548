import type { Db } from "../../db/client.js";
import type {
  AlertRow,
  AlertRuleRow,
  AlertStatusValue,
  AlertKindValue,
  TeamNotificationSettingsRow,
} from "../../db/schema/index.js";
import { validateRule, type RuleFields } from "./alert-rules.js";
import { badInput, conflict, notFound, requireText } from "../../lib/errors.js";
import type { AlertScope } from "../../permissions/scopes.js";
import { appendAudit } from "../audit/audit.store.js";
import { findTeam } from "../team/team.store.js";
import { findDefinition } from "../definition/definition.store.js";
import { OUTBOUND_REFUSAL, refusedHost, type OutboundPolicy } from "../../lib/outbound-policy.js";
import {
  acknowledgeOpenAlert,
  findAlert,
  findTeamNotifications,
  insertAlertRule,
  listAlertRules,
  listAlerts,
  lockAlertRule,
  updateAlertRule,
  upsertTeamNotifications,
} from "./alert.store.js";

export interface AlertQuery {
  teamId?: number;
  status?: AlertStatusValue;
  limit: number;
}

const MAX_TEAM_EMAILS = 20;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Alert rules (admins), alerts (the managers of the users' teams) and where teams' alerts go. */
export class AlertService {
  constructor(
    private readonly db: Db,
    private readonly outbound: OutboundPolicy,
  ) {}

  listRules(): Promise<AlertRuleRow[]> {
    return listAlertRules(this.db);
  }

  async createRule(actorId: number, input: RuleFields & { name: string; kind: AlertKindValue }): Promise<AlertRuleRow> {
    const name = requireText(input.name, "name");
    const fields = validateRule(input.kind, input);
    if (fields.kpiDefinitionId !== null) await this.requireDefinition(fields.kpiDefinitionId);
    return this.db.transaction(async (tx) => {
      const rule = await insertAlertRule(tx, { name, kind: input.kind, ...fields, createdBy: actorId });
      await appendAudit(tx, { actorId, action: "alert_rule.create", entityType: "alert_rule", entityId: rule.id, after: rule });
      return rule;
    });
  }

  async updateRule(
    actorId: number,
    id: number,
    changes: Omit<RuleFields, "category" | "kpiDefinitionId"> & { name?: string | null; isActive?: boolean | null },
  ): Promise<AlertRuleRow> {
    return this.db.transaction(async (tx) => {
      const before = await lockAlertRule(tx, id);
      if (!before) throw notFound("AlertRule", id);
      const merged = validateRule(before.kind, {
        threshold: changes.threshold === undefined ? before.threshold : changes.threshold,
        periods: changes.periods === undefined ? before.periods : changes.periods,
        graceDays: changes.graceDays === undefined ? before.graceDays : changes.graceDays,
        category: before.category,
        kpiDefinitionId: before.kpiDefinitionId,
      });
      const after = await updateAlertRule(tx, id, {
        ...merged,
        name: changes.name == null ? undefined : requireText(changes.name, "name"),
        isActive: changes.isActive ?? undefined,
        updatedAt: new Date(),
      });
      await appendAudit(tx, { actorId, action: "alert_rule.update", entityType: "alert_rule", entityId: id, before, after });
      return after;
    });
  }

  /**
   * Newest first: the alerts about the members of the scope's teams (every alert for "all"), or of
   * the one team named, which src/permissions/scopes.ts alertScope has checked is in scope.
   */
  async list(scope: AlertScope, query: AlertQuery): Promise<AlertRow[]> {
    let teamIds: number[] | undefined;
    if (query.teamId !== undefined) {
      if (scope.teamIds === "all") await this.requireTeam(query.teamId);
      else if (!scope.teamIds.includes(query.teamId)) return [];
      teamIds = [query.teamId];
    } else if (scope.teamIds !== "all") {
      teamIds = scope.teamIds;
      if (teamIds.length === 0) return [];
    }
    return listAlerts(this.db, { teamIds, status: query.status, limit: query.limit });
  }

  find(id: number): Promise<AlertRow | undefined> {
    return findAlert(this.db, id);
  }

  /**
   * Acknowledging says a manager has seen it: it stays until its condition clears. Idempotent.
   * `found` is the alert as read by find(), which the caller may acknowledge (scopes.ts acknowledgeableAlert).
   */
  async acknowledge(actorId: number, found: AlertRow): Promise<AlertRow> {
    const id = found.id;
    if (found.status === "resolved") throw conflict(`Alert ${id} is already resolved`);
    if (found.status === "acknowledged") return found;
    const after = await acknowledgeOpenAlert(this.db, id, actorId);
    // Resolved between the read and the write: say so rather than pretend.
    if (!after) throw conflict(`Alert ${id} changed meanwhile; read it again`);
    return after;
  }

  teamNotifications(teamId: number): Promise<TeamNotificationSettingsRow | undefined> {
    return findTeamNotifications(this.db, teamId);
  }

  /**
   * Admins set where a team's alerts go: a webhook makes this server POST to any address it can
   * reach, which is not for every manager to choose.
   */
  async setTeamNotifications(
    teamId: number,
    input: { webhookUrl?: string | null; webhookSecret?: string | null; emails?: string[] | null },
  ): Promise<TeamNotificationSettingsRow> {
    await this.requireTeam(teamId);
    const values: Partial<TeamNotificationSettingsRow> = {};
    if (input.webhookUrl !== undefined)
      values.webhookUrl = input.webhookUrl === null ? null : webhookUrl(input.webhookUrl, this.outbound);
    if (input.webhookSecret != null) {
      if (input.webhookSecret.length < 16) throw badInput("webhookSecret", "must be at least 16 characters");
      values.webhookSecret = input.webhookSecret;
    }
    if (input.emails != null) {
      if (input.emails.length > MAX_TEAM_EMAILS) throw badInput("emails", `at most ${MAX_TEAM_EMAILS} addresses`);
      const emails = [...new Set(input.emails.map((email) => email.trim().toLowerCase()))];
      const bad = emails.findIndex((email) => !EMAIL.test(email) || email.length > 254);
      if (bad !== -1) throw badInput(`emails[${bad}]`, "is not an e-mail address");
      values.emails = emails;
    }
    return upsertTeamNotifications(this.db, teamId, values);
  }

  private async requireTeam(id: number): Promise<void> {
    if (!(await findTeam(this.db, id))) throw notFound("Team", id);
  }

  private async requireDefinition(id: number): Promise<void> {
    if (!(await findDefinition(this.db, id))) throw notFound("KpiDefinition", id);
  }
}

function webhookUrl(value: string, outbound: OutboundPolicy): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw badInput("webhookUrl", "is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw badInput("webhookUrl", "must be an http(s) URL");
  if (url.username || url.password)
    throw badInput("webhookUrl", "must not carry credentials; use webhookSecret to sign the bodies");
  const refused = refusedHost(url, outbound);
  if (refused) throw badInput("webhookUrl", `may not lead to ${refused}: ${OUTBOUND_REFUSAL}`);
  return url.toString();
}
