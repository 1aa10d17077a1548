import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import type { FormattedExecutionResult } from "graphql";
import { LRUCache } from "lru-cache";
import type pg from "pg";
import type { Context } from "./context.js";

/**
 * Whole-response cache for queries, keyed by the database snapshot the request starts from.
 *
 * A response is a function of the operation, its variables, the viewer, the request's `today` and
 * the rows it reads. PostgreSQL's `pg_current_snapshot()` names the set of committed transactions a
 * statement sees: two equal snapshots see exactly the same rows, and any commit anywhere (this API,
 * a worker, a psql session) yields a new one. Keying on it makes a hit as fresh as a miss, across
 * processes, with no invalidation to forget; the price is one `SELECT` per query.
 *
 * The resolvers' own statements run after the key is read, each on its own snapshot (as without the
 * cache), so an entry may hold rows newer than its key, never older: a request that still sees the
 * key's snapshot is concurrent with that commit, and every later request has a new key.
 *
 * Only queries without errors are cached, and a viewer only ever reads their own entries, so the
 * permission rules that shaped a response shape every response served from it.
 *
 * Entries of an earlier snapshot can never be hit again, so the cache is emptied when a later one
 * appears and keeps only the latest snapshot's: under steady writes it stays small instead of
 * filling its memory with entries nobody can read (bench:soak).
 */
export interface ResponseCache {
  plugin: ApolloServerPlugin<Context>;
  /** Apollo's stringifyResult: a cached response's JSON is built once, not on every hit. */
  stringify(result: FormattedExecutionResult): string;
}

interface Entry {
  data: Record<string, unknown>;
  json: string;
}

export const CACHE_HEADER = "x-response-cache";

const SNAPSHOT_SQL = "SELECT pg_current_snapshot()::text AS snapshot";

export function createResponseCache(pool: pg.Pool, maxMegabytes: number): ResponseCache {
  const entries = new LRUCache<string, Entry>({
    maxSize: maxMegabytes * 1024 * 1024,
    // A parsed response takes about twice its JSON in memory; the JSON itself is kept as well.
    sizeCalculation: (entry) => Math.max(1, entry.json.length * 3),
  });
  // Responses whose JSON is already known, so that stringify does not repeat the work.
  const jsonOf = new WeakMap<object, string>();
  // The latest snapshot seen: the only one whose responses are kept.
  let latest: string | undefined;

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      let key: string | undefined;
      let keySnapshot: string | undefined;
      return {
        async responseForOperation({ operation, queryHash, request, contextValue }) {
          // Apollo's types promise an operation, but it calls this hook before refusing a document it
          // could not pick one from (several operations without operationName, or an unknown name).
          const resolved = operation as typeof operation | undefined;
          if (resolved?.operation !== "query") return null;
          // Without the snapshot (the database is down) nothing is looked up or kept: the operation
          // runs and meets the database itself, and fails as every other one (SERVICE_UNAVAILABLE).
          // Thrown from this hook, the error was a bare HTTP 500 of Apollo's.
          const snapshot = await pool.query<{ snapshot: string }>(SNAPSHOT_SQL).then(
            ({ rows }) => rows[0]!.snapshot,
            () => undefined,
          );
          if (snapshot === undefined) return null;
          if (latest === undefined || isLaterSnapshot(snapshot, latest)) {
            if (latest !== undefined) entries.clear();
            latest = snapshot;
          }
          keySnapshot = snapshot;
          const viewer = contextValue.viewer;
          key = [
            viewer ? `${viewer.via}:${viewer.id}:${viewer.role}` : "anonymous",
            contextValue.today,
            snapshot,
            queryHash,
            request.operationName ?? "",
            JSON.stringify(request.variables ?? {}),
          ].join("\u0000");
          const hit = entries.get(key);
          if (!hit) return null;
          key = undefined;
          return {
            http: { status: undefined, headers: new HeaderMap([[CACHE_HEADER, "hit"]]) },
            body: { kind: "single", singleResult: { data: hit.data } },
          };
        },
        async willSendResponse({ response }) {
          if (key === undefined) return;
          response.http.headers.set(CACHE_HEADER, "miss");
          const body = response.body;
          if (body.kind !== "single" || body.singleResult.errors || body.singleResult.extensions || !body.singleResult.data)
            return;
          const data = body.singleResult.data;
          const json = JSON.stringify({ data });
          jsonOf.set(data, json);
          // A later snapshot appeared while this request ran: its response could never be hit.
          if (keySnapshot === latest) entries.set(key, { data, json });
        },
      };
    },
  };

  return {
    plugin,
    stringify(result) {
      if (!result.errors && !result.extensions && result.data) {
        const json = jsonOf.get(result.data);
        if (json !== undefined) return json;
      }
      return JSON.stringify(result);
    },
  };
}

/**
 * Whether one pg_current_snapshot() text ("xmin:xmax:xip,…") is later than another: a higher xmax
 * (a transaction began since), or the same xmax with fewer transactions in progress (some ended).
 */
export function isLaterSnapshot(candidate: string, than: string): boolean {
  const [, candidateMax = "0", candidateRunning = ""] = candidate.split(":");
  const [, thanMax = "0", thanRunning = ""] = than.split(":");
  const a = BigInt(candidateMax);
  const b = BigInt(thanMax);
  if (a !== b) return a > b;
  const running = (list: string) => (list === "" ? 0 : list.split(",").length);
  return running(candidateRunning) < running(thanRunning);
}
