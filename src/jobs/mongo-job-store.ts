import { MongoBackend } from "@agendajs/mongo-backend";
import { MongoClient, type Collection } from "mongodb";
import type { JobStore, QueueDepth } from "./job-store.js";

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
    this.client = new MongoClient(url, { appName: "kpi-server" });
    const db = this.client.db();
    this.jobs = db.collection(MONGO_JOBS_COLLECTION);
    this.backend = new MongoBackend({ mongo: db, collection: MONGO_JOBS_COLLECTION });
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
