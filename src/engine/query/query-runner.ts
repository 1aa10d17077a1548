import type pg from "pg";
import { CalculationError, type CalculationSubject, type SourceResult } from "../outcome.js";
import { bindNamedParameters, type BoundQuery } from "./named-parameters.js";
import type { SourceConnections } from "./source-connections.js";

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

/**
 * Runs a definition's SQL safely: one statement (bound parameters force the extended protocol, which
 * refuses several), wrapped as a subquery capped at two rows, inside a READ ONLY transaction with a
 * statement timeout, in the organisation's time zone, and on the server's own database as
 * kpi_source_reader with kpi_source as the only schema. The transaction is always rolled back.
 */
export class QueryRunner {
  constructor(
    private readonly connections: SourceConnections,
    private readonly options: { timeoutMs: number; timeZone: string },
  ) {}

  async run(source: QuerySource, subject: CalculationSubject): Promise<SourceResult> {
    const bound = bindNamedParameters(source.query, subject);
    if ("missingExternalId" in bound) {
      return { kind: "skipped", reason: `no ${bound.missingExternalId} id`, metadata: { source: "database" } };
    }
    const connection = source.connection ?? "default";
    const started = performance.now();
    const result = await this.execute(connection, bound.query, 2);
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
   * Checks a query when its definition is saved: it parses, its tables are readable, its first
   * column is a number. Runs it with LIMIT 0 for a sample user and period, so nothing is read.
   */
  async check(source: QuerySource, subject: CalculationSubject): Promise<void> {
    const bound = bindNamedParameters(source.query, subject);
    const query =
      "missingExternalId" in bound ? bindNamedParameters(source.query, { ...subject, externalIds: anyExternalId }) : bound;
    if (!("query" in query)) return;
    const result = await this.execute(source.connection ?? "default", query.query, 0);
    requireNumericColumn(result);
  }

  private async execute(connectionName: string, query: BoundQuery, limit: number): Promise<pg.QueryArrayResult> {
    const connection = this.connections.get(connectionName);
    if (!connection) {
      throw new CalculationError(`unknown connection "${connectionName}" (known: ${this.connections.names().join(", ")})`);
    }
    const text = query.text.trim().replace(/;+\s*$/, "");
    const client = await connection.pool.connect();
    try {
      // Our own fixed text (the time zone was validated at start), sent in one round trip.
      await client.query(
        `BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.floor(this.options.timeoutMs)}; ` +
          `SET LOCAL TimeZone = '${this.options.timeZone.replace(/'/g, "''")}';` +
          (connection.restricted ? " SET LOCAL ROLE kpi_source_reader; SET LOCAL search_path = kpi_source;" : ""),
      );
      // The newline before the closing parenthesis keeps a trailing `-- comment` from swallowing it.
      return await client.query({
        text: `SELECT * FROM (\n${text}\n) AS kpi_query LIMIT ${limit}`,
        values: query.values,
        rowMode: "array",
        queryMode: "extended",
      } as pg.QueryArrayConfig);
    } catch (error) {
      throw describeDatabaseError(error, this.options.timeoutMs);
    } finally {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release();
    }
  }
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
