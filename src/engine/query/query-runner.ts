import type pg from "pg";
import { CalculationError, type CalculationSubject, type SourceResult } from "../outcome.js";
import { batchedQuery, statementText } from "./batched-query.js";
import { bindNamedParameters, externalIdProvidersIn, type BoundQuery } from "./named-parameters.js";
import type { SourceConnection, SourceConnections } from "./source-connections.js";

export interface QuerySource {
  type: "database";
  connection?: string;
  query: string;
  parameters?: string[];
}

// int2, int4, int8, float4, float8, numeric: the types a KPI value may come in.
const NUMERIC_TYPES = new Set([21, 23, 20, 700, 701, 1700]);
const TYPE_NAMES: Record<number, string> = {
  16: "boolean",
  25: "text",
  1043: "varchar",
  1082: "date",
  1114: "timestamp",
  1184: "timestamptz",
  114: "json",
  3802: "jsonb",
};

/** Runs a definition's query: the runner (a transaction per query) or a session (one per batch). */
export interface QueryExecutor {
  run(source: QuerySource, subject: CalculationSubject): Promise<SourceResult>;
}

/** Runs one definition's query for many users of one period in one statement (see batchedQuery). */
export interface BatchQueryExecutor extends QueryExecutor {
  runMany(source: QuerySource, subjects: readonly CalculationSubject[]): Promise<BatchResult[]>;
}

/** A subject's result in a batch, or why its rows are not a KPI value (as if its query had run alone). */
export type BatchResult = SourceResult | CalculationError;

type Transaction = (
  connection: SourceConnection,
  work: (client: pg.PoolClient) => Promise<pg.QueryArrayResult>,
) => Promise<pg.QueryArrayResult>;

/**
 * Runs a definition's SQL safely: one statement (bound parameters force the extended protocol, which
 * refuses several), wrapped as a subquery capped at two rows, inside a READ ONLY transaction with a
 * statement timeout, in the organisation's time zone, and on the server's own database as
 * kpi_source_reader with kpi_source as the only schema. The transaction is always rolled back.
 */
export class QueryRunner implements QueryExecutor {
  constructor(
    private readonly connections: SourceConnections,
    private readonly options: { timeoutMs: number; timeZone: string },
  ) {}

  run(source: QuerySource, subject: CalculationSubject): Promise<SourceResult> {
    return runQuery(source, subject, (name, query, limit) => this.execute(name, query, limit, this.ownTransaction));
  }

  /**
   * A session for a batch of calculations: its queries on one connection share one read-only
   * transaction, so each costs one round trip instead of three. Close it when the batch is done; on
   * the embedded database an open session holds the database for itself, so keep batches short.
   */
  openSession(): QuerySession {
    return new QuerySession(
      (name, query, limit, transaction) => this.execute(name, query, limit, transaction),
      this.setupSql.bind(this),
    );
  }

  /**
   * Checks a query when its definition is saved: it parses, its tables are readable, its first
   * column is a number. Runs it with LIMIT 0 for a sample user and period, so nothing is read.
   */
  async check(source: QuerySource, subject: CalculationSubject): Promise<void> {
    const bound = bindNamedParameters(source.query, subject);
    const query =
      "missingExternalId" in bound ? bindNamedParameters(source.query, { ...subject, externalIds: anyExternalId }) : bound;
    if (!("query" in query)) return;
    const result = await this.execute(source.connection ?? "default", query.query, 0, this.ownTransaction);
    requireNumericColumn(result);
  }

  /** Our own fixed text (the time zone was validated at start), sent in one round trip. */
  private setupSql(connection: SourceConnection): string {
    return (
      `BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.floor(this.options.timeoutMs)}; ` +
      `SET LOCAL TimeZone = '${this.options.timeZone.replace(/'/g, "''")}';` +
      (connection.restricted ? " SET LOCAL ROLE kpi_source_reader; SET LOCAL search_path = kpi_source;" : "")
    );
  }

  /** One transaction for one query, always rolled back. */
  private readonly ownTransaction: Transaction = async (connection, work) => {
    const client = await connection.pool.connect();
    try {
      await client.query(this.setupSql(connection));
      return await work(client);
    } finally {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release();
    }
  };

  private async execute(
    connectionName: string,
    query: BoundQuery,
    limit: number | null,
    transaction: Transaction,
  ): Promise<pg.QueryArrayResult> {
    const connection = this.connections.get(connectionName);
    if (!connection) {
      throw new CalculationError(`unknown connection "${connectionName}" (known: ${this.connections.names().join(", ")})`);
    }
    const text = statementText(query.text);
    try {
      return await transaction(connection, (client) =>
        client.query({
          // The newline before the closing parenthesis keeps a trailing `-- comment` from swallowing it.
          // A batch (limit null) caps each subject's rows itself.
          text: limit === null ? text : `SELECT * FROM (\n${text}\n) AS kpi_query LIMIT ${limit}`,
          values: query.values,
          rowMode: "array",
          queryMode: "extended",
        } as pg.QueryArrayConfig),
      );
    } catch (error) {
      throw describeDatabaseError(error, this.options.timeoutMs);
    }
  }
}

/**
 * A batch's queries: per connection one client with one read-only transaction, opened on first use
 * and again after a failed query (a failure aborts the transaction). Queries run one at a time, so a
 * failure never lands on another query's transaction.
 */
export class QuerySession implements BatchQueryExecutor {
  private readonly open = new Map<string, pg.PoolClient>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly execute: (
      name: string,
      query: BoundQuery,
      limit: number | null,
      transaction: Transaction,
    ) => Promise<pg.QueryArrayResult>,
    private readonly setupSql: (connection: SourceConnection) => string,
  ) {}

  run(source: QuerySource, subject: CalculationSubject): Promise<SourceResult> {
    const result = this.tail.then(() =>
      runQuery(source, subject, (name, query, limit) => this.execute(name, query, limit, this.shared)),
    );
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** One statement for all `subjects` (of one period); throws CalculationError if it fails as a whole. */
  runMany(source: QuerySource, subjects: readonly CalculationSubject[]): Promise<BatchResult[]> {
    const result = this.tail.then(() =>
      runQueryBatch(source, subjects, (name, query) => this.execute(name, query, null, this.shared)),
    );
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.tail;
    for (const client of this.open.values()) await endTransaction(client);
    this.open.clear();
  }

  private readonly shared: Transaction = async (connection, work) => {
    let client = this.open.get(connection.name);
    if (!client) {
      client = await connection.pool.connect();
      try {
        await client.query(this.setupSql(connection));
      } catch (error) {
        await endTransaction(client);
        throw error;
      }
      this.open.set(connection.name, client);
    }
    try {
      return await work(client);
    } catch (error) {
      this.open.delete(connection.name);
      await endTransaction(client);
      throw error;
    }
  };
}

async function endTransaction(client: pg.PoolClient): Promise<void> {
  await client.query("ROLLBACK").catch(() => undefined);
  client.release();
}

/** Binds the named parameters, runs the query and reads its value and provenance. */
async function runQuery(
  source: QuerySource,
  subject: CalculationSubject,
  execute: (connectionName: string, query: BoundQuery, limit: number) => Promise<pg.QueryArrayResult>,
): Promise<SourceResult> {
  const bound = bindNamedParameters(source.query, subject);
  if ("missingExternalId" in bound) {
    return { kind: "skipped", reason: `no ${bound.missingExternalId} id`, metadata: { source: "database" } };
  }
  const connection = source.connection ?? "default";
  const started = performance.now();
  const result = await execute(connection, bound.query, 2);
  const metadata = {
    source: "database",
    connection,
    query: source.query,
    parameters: bound.query.parameters,
    rows: result.rows.length,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
  return interpret(result, metadata);
}

/**
 * Runs a batched query and splits its rows by subject, each read as if its query had run alone. A
 * subject without an external id the query needs is skipped, as alone.
 */
async function runQueryBatch(
  source: QuerySource,
  subjects: readonly CalculationSubject[],
  execute: (connectionName: string, query: BoundQuery) => Promise<pg.QueryArrayResult>,
): Promise<BatchResult[]> {
  const results = new Array<BatchResult>(subjects.length);
  const runnable: number[] = [];
  // Found once for the query, not by binding each subject: batchedQuery binds the runnable ones.
  const providers = externalIdProvidersIn(source.query);
  subjects.forEach((subject, i) => {
    const missing = providers.find((provider) => subject.externalIds[provider] === undefined);
    if (missing !== undefined) {
      results[i] = { kind: "skipped", reason: `no ${missing} id`, metadata: { source: "database" } };
    } else runnable.push(i);
  });
  if (runnable.length === 0) return results;
  const batch = batchedQuery(
    source.query,
    runnable.map((i) => subjects[i]!),
  );
  if (!batch) throw new CalculationError("the subjects of a batched query must share one period");
  const connection = source.connection ?? "default";
  const started = performance.now();
  const result = await execute(connection, batch.query);
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  const rowsBySubject = new Map<number, unknown[][]>();
  for (const row of result.rows) {
    const n = Number(row[0]);
    const rows = rowsBySubject.get(n) ?? [];
    rows.push(row.slice(1));
    rowsBySubject.set(n, rows);
  }
  const fields = result.fields.slice(1);
  runnable.forEach((i, k) => {
    const rows = rowsBySubject.get(k + 1) ?? [];
    const metadata = {
      source: "database",
      connection,
      query: source.query,
      parameters: batch.bound[k]!.parameters,
      rows: rows.length,
      durationMs,
      batchedWith: runnable.length,
    };
    try {
      results[i] = interpret({ ...result, rows, fields } as pg.QueryArrayResult, metadata);
    } catch (error) {
      if (!(error instanceof CalculationError)) throw error;
      results[i] = error;
    }
  });
  return results;
}

const anyExternalId = new Proxy({}, { get: () => "check" }) as Record<string, string>;

function requireNumericColumn(result: pg.QueryArrayResult): void {
  const field = result.fields[0];
  if (!field) throw new CalculationError("the query returns no columns; its first column must be the KPI value");
  if (!NUMERIC_TYPES.has(field.dataTypeID)) {
    const type = TYPE_NAMES[field.dataTypeID] ?? `type ${field.dataTypeID}`;
    throw new CalculationError(`the first column ("${field.name}") is ${type}, not a number; it must be the KPI value`);
  }
}

function interpret(result: pg.QueryArrayResult, metadata: Record<string, unknown>): SourceResult {
  requireNumericColumn(result);
  if (result.rows.length === 0) return { kind: "undefined", reason: "the query returned no rows", metadata };
  if (result.rows.length > 1) throw new CalculationError("the query returned more than one row; it must return one row");
  const raw = result.rows[0]![0];
  if (raw === null || raw === undefined)
    return { kind: "undefined", reason: "the query returned NULL (no data for the period)", metadata };
  const value = Number(raw);
  if (!Number.isFinite(value)) return { kind: "undefined", reason: `the query returned ${String(raw)}`, metadata };
  return { kind: "value", value, metadata };
}

function describeDatabaseError(error: unknown, timeoutMs: number): Error {
  if (error instanceof CalculationError) return error;
  const { code, message } = error as { code?: string; message?: string };
  switch (code) {
    case "57014":
      return new CalculationError(`the query ran longer than the ${timeoutMs} ms limit and was cancelled`, { sqlState: code });
    case "25006":
      return new CalculationError(`the query tried to write; KPI queries are read-only (${message})`, { sqlState: code });
    case "42501":
      return new CalculationError(`${message}: KPI queries on the server's database can read only the kpi_source schema`, {
        sqlState: code,
      });
  }
  if (typeof code === "string" && message) {
    const hint = /at or near ";"/.test(message) ? " (a KPI query must be a single SELECT statement)" : "";
    return new CalculationError(`${message}${hint}`, { sqlState: code });
  }
  return new CalculationError("the source database could not be reached");
}
