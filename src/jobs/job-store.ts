import type { AgendaBackend } from "agenda";

/** Jobs due and not taken, and jobs running (locked): the queue-depth gauge. */
export interface QueueDepth {
  queued: number;
  running: number;
}

/**
 * Where Agenda keeps its job documents: the server's PostgreSQL (agenda_jobs), or a MongoDB when
 * JOBS_MONGODB_URL is set. Only Agenda's jobs live here; runs, batches and measurements are always
 * in PostgreSQL. Whatever Agenda's own repository cannot answer cheaply is asked here, per store.
 */
export interface JobStore {
  /** Agenda's backend over this store. */
  readonly backend: AgendaBackend;
  queueDepth(): Promise<QueueDepth>;
  /** Closes the connections the store opened itself (none over the server's own pool). */
  close(): Promise<void>;
}
