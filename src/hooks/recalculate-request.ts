import { asId } from "../lib/errors.js";
import { isCalendarDate } from "../scoring/periods.js";

/** Users named by a webhook: our ids, or their accounts in a source (user_external_ids). */
export interface RecalculateRequest {
  userIds: number[];
  externalIds: { provider: string; externalId: string }[];
  kpiDefinitionId?: number;
  /** Any date of the period to recalculate; today's period when absent. */
  periodContaining?: string;
}

/** At most this many users per call, so that one request cannot queue an unbounded run. */
export const MAX_HOOK_USERS = 1000;

export type ParsedHook =
  | { kind: "recalculate"; request: RecalculateRequest }
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; message: string };

/**
 * Reads a POST /hooks/recalculate body: our own shape
 * `{ userIds?, externalIds?: [{ provider, externalId }], kpiDefinitionId?, periodContaining? }`,
 * or an Intercom notification (`type: "notification_event"`), whose conversation's assigned admin
 * is the user to recalculate. Pure: no database, so every shape is unit-tested.
 */
export function parseHookBody(body: unknown): ParsedHook {
  if (!isObject(body)) return invalid("the body must be a JSON object");
  if (body.type === "notification_event") return parseIntercomNotification(body);

  const userIds: number[] = [];
  if (body.userIds !== undefined) {
    if (!Array.isArray(body.userIds)) return invalid("userIds must be an array of ids");
    for (const [i, value] of body.userIds.entries()) {
      const id = asId(value);
      if (id === undefined) return invalid(`userIds[${i}] is not a valid id`);
      userIds.push(id);
    }
  }
  const externalIds: RecalculateRequest["externalIds"] = [];
  if (body.externalIds !== undefined) {
    if (!Array.isArray(body.externalIds)) return invalid("externalIds must be an array of { provider, externalId }");
    for (const [i, value] of body.externalIds.entries()) {
      const provider = isObject(value) ? value.provider : undefined;
      const externalId = isObject(value) ? value.externalId : undefined;
      if (typeof provider !== "string" || !/^[a-z0-9_]{1,50}$/.test(provider)) {
        return invalid(`externalIds[${i}].provider must be a provider name such as "intercom"`);
      }
      if ((typeof externalId !== "string" && typeof externalId !== "number") || String(externalId).length === 0) {
        return invalid(`externalIds[${i}].externalId must be a string or a number`);
      }
      externalIds.push({ provider, externalId: String(externalId).slice(0, 255) });
    }
  }
  if (userIds.length + externalIds.length === 0) return invalid("name at least one user in userIds or externalIds");
  if (userIds.length + externalIds.length > MAX_HOOK_USERS) return invalid(`at most ${MAX_HOOK_USERS} users per call`);

  const request: RecalculateRequest = { userIds: [...new Set(userIds)], externalIds };
  if (body.kpiDefinitionId !== undefined) {
    const id = asId(body.kpiDefinitionId);
    if (id === undefined) return invalid("kpiDefinitionId is not a valid id");
    request.kpiDefinitionId = id;
  }
  if (body.periodContaining !== undefined) {
    if (typeof body.periodContaining !== "string" || !isCalendarDate(body.periodContaining)) {
      return invalid("periodContaining must be a date YYYY-MM-DD");
    }
    request.periodContaining = body.periodContaining;
  }
  return { kind: "recalculate", request };
}

/** Intercom's envelope: `topic` and `data.item`; conversation topics carry the assigned admin. */
function parseIntercomNotification(body: Record<string, unknown>): ParsedHook {
  const topic = typeof body.topic === "string" ? body.topic : "";
  const item = isObject(body.data) && isObject(body.data.item) ? body.data.item : undefined;
  if (!topic.startsWith("conversation.") || !item) return { kind: "ignored", reason: `Intercom topic "${topic}" names no user` };
  const admin = item.admin_assignee_id;
  if ((typeof admin !== "string" && typeof admin !== "number") || String(admin) === "" || String(admin) === "0") {
    return { kind: "ignored", reason: "the conversation is not assigned to an admin" };
  }
  return { kind: "recalculate", request: { userIds: [], externalIds: [{ provider: "intercom", externalId: String(admin) }] } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(message: string): ParsedHook {
  return { kind: "invalid", message };
}
