import { sql, type AnyColumn, type SQL } from "drizzle-orm";

/**
 * `column = ANY($1::int[])`: the ids travel as one array parameter, so the statement text is the
 * same for any number of ids and never nears PostgreSQL's 65,535 bind parameters (inArray would
 * send one parameter per id).
 */
export function anyOf(column: AnyColumn, ids: readonly number[]): SQL {
  return sql`${column} = ANY(${sql.param([...ids])}::int[])`;
}
