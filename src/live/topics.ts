import type { PubSub } from "@graphql-yoga/subscription";

/**
 * A measurement was stored (recorded by hand, calculated, or written by a run's batch). Only its key
 * travels: the subscriber loads the row, so an event is a few dozen bytes whatever the row holds, and
 * what a client sees is always the stored row, read with the client's own permissions.
 */
export interface MeasurementRecordedEvent {
  userKpiId: number;
  periodStart: string;
  periodEnd: string;
}

export interface AlertRaisedEvent {
  alertId: number;
}

/**
 * Every topic of live updates: its name and [routing id, event]. An event is delivered to the
 * subscribers of "name:id" only (`measurementRecorded:42` for user 42), so a process hands an event
 * to the subscriptions waiting for it and never walks the others.
 *
 * A new topic is a line here (e.g. `alertRaised: [teamId: number, event: { alertId: number }]`), a
 * `live.publish("alertRaised", teamId, { alertId })` after the alert is committed, and a
 * `@Subscription` with `topics: "alertRaised"` and a `topicId` from its argument, plus its rule in
 * src/permissions/rules.ts. README.md, "Live updates", has the whole recipe.
 */
export type LiveTopics = {
  measurementRecorded: [userId: number, event: MeasurementRecordedEvent];
  /** An alert about a member of the team was raised (once per team of the user). */
  alertRaised: [teamId: number, event: AlertRaisedEvent];
};

/** What services publish to and type-graphql subscribes through. */
export type LivePubSub = PubSub<LiveTopics>;
