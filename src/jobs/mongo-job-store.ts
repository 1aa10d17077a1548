import { createRequire } from "node:module";
import type * as MongoBackends from "@agendajs/mongo-backend";
import type { MongoBackend } from "@agendajs/mongo-backend";
import type * as MongoDriver from "mongodb";
import type { Collection, MongoClient } from "mongodb";
import type { JobStore, QueueDepth } from "./job-store.js";

// The driver and Agenda's backend for it load when a store is made, not with this module: a server
// without JOBS_MONGODB_URL never needs them (a megabyte and a half of modules at every start).
const require = createRequire(import.meta.url);

/** The backend's default collection, named here because queueDepth counts in it too. */
export const MONGO_JOBS_COLLECTION = "agendaJobs";

/**
 * Agenda's jobs in a MongoDB (JOBS_MONGODB_URL, in the database its path names). The client is ours,
 * not the backend's, so queueDepth shares its connection and close() ends it whether or not Agenda
 * was ever started. MongoClient connects on first use: a process that never queues a job never
 * connects.
 */
export class MongoJobStore implements JobStore {
  readonly backend: MongoBackend;
  private readonly client: MongoClient;
  private readonly jobs: Collection;

  constructor(url: string) {
    const mongodb = require("mongodb") as typeof MongoDriver;
    const backends = require("@agendajs/mongo-backend") as typeof MongoBackends;
    this.client = new mongodb.MongoClient(url, { appName: "kpi-server" });
    const db = this.client.db();
    this.jobs = db.collection(MONGO_JOBS_COLLECTION);
    this.backend = new backends.MongoBackend({ mongo: db, collection: MONGO_JOBS_COLLECTION });
  }

  async queueDepth(): Promise<QueueDepth> {
    // The backend unlocks with $unset, so "not locked" is a missing lockedAt as well as a null one ({ $eq: null } matches both).
    const active = { disabled: { $ne: true } };
    const [queued, running] = await Promise.all([
      this.jobs.countDocuments({ ...active, lockedAt: null, nextRunAt: { $lte: new Date() } }),
      this.jobs.countDocuments({ ...active, lockedAt: { $ne: null } }),
    ]);
    return { queued, running };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
