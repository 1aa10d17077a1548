import { createPubSub } from "@graphql-yoga/subscription";
import type pg from "pg";
import type { Logger } from "../lib/logger.js";
import { LocalEventTarget } from "./local-event-target.js";
import { PgNotifyEventTarget } from "./pg-notify-event-target.js";
import type { LivePubSub, LiveTopics } from "./topics.js";

export interface LiveEvents {
  /** Services publish here after they commit; subscriptions (type-graphql's `pubSub`) listen here. */
  readonly pubSub: LivePubSub;
  /** Starts receiving the events of every process: the API process does before it serves; workers and the CLI only publish. */
  listen(): Promise<void>;
  /** Subscriptions of this process waiting for `topic` of `id`. */
  listenerCount<T extends keyof LiveTopics>(topic: T, id: LiveTopics[T][0]): number;
  /** Sends what is still queued and lets go of the LISTEN connection. */
  close(): Promise<void>;
}

/**
 * Live events over PostgreSQL LISTEN/NOTIFY, so that a measurement a worker stores reaches a client
 * of any API process; on the embedded database (it cannot LISTEN: one session serves every
 * connection) within this process only, which is the only one writing there.
 */
export function createLiveEvents(pool: pg.Pool, options: { embedded: boolean; log: Logger }): LiveEvents {
  const { log } = options;
  const shared = options.embedded ? undefined : new PgNotifyEventTarget(pool, log);
  const target =
    shared ??
    new LocalEventTarget((error, type) => log.error({ err: error, type }, "live events: a subscription failed to take an event"));
  return {
    pubSub: createPubSub<LiveTopics>({ eventTarget: target }),
    listen: async () => shared?.listen(),
    listenerCount: (topic, id) => target.listenerCount(`${topic}:${id}`),
    close: async () => shared?.close(),
  };
}
