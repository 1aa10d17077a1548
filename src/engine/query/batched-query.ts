import type { CalculationSubject } from "../outcome.js";
import { bindNamedParameters, type BoundQuery } from "./named-parameters.js";

/** Parameters that differ between the users of one period: they become columns of a subjects list. */
const varies = (name: string) => name === "user_id" || name.startsWith("external_id.");

export interface BatchedQuery {
  /** One statement for every subject: each subject's rows, tagged with its 1-based position, in order. */
  query: BoundQuery;
  /** Each subject's own binding, for its measurement's metadata. */
  bound: BoundQuery[];
}

/**
 * One query for many users of the same period: the definition's SQL becomes a LATERAL subquery run
 * once per row of a list of subjects, its per-user parameters (`:user_id`, `:external_id.<p>`)
 * read from that row and the period's from ordinary bind parameters. Each subject still gets at
 * most two rows, as when it runs alone. Null when a subject lacks an external id the query needs
 * (the caller leaves those out) or when the subjects' periods differ.
 */
export function batchedQuery(sql: string, subjects: readonly CalculationSubject[]): BatchedQuery | null {
  const bound: BoundQuery[] = [];
  for (const subject of subjects) {
    const binding = bindNamedParameters(sql, subject);
    if (!("query" in binding)) return null;
    bound.push(binding.query);
  }
  const first = bound[0];
  if (!first) return null;
  const names = Object.keys(first.parameters); // in the order of their positions
  const values: unknown[] = [];
  const columns: string[] = [];
  const arrays: string[] = [];
  const replacement = new Map<number, string>();
  names.forEach((name, i) => {
    if (varies(name)) {
      values.push(bound.map((query) => query.values[i]));
      arrays.push(`$${values.length}::${name === "user_id" ? "int" : "text"}[]`);
      columns.push(`p${i + 1}`);
      replacement.set(i + 1, `kpi_subject.p${i + 1}`);
    } else {
      if (bound.some((query) => query.values[i] !== first.values[i])) return; // checked below
      values.push(first.values[i]);
      replacement.set(i + 1, `$${values.length}`);
    }
  });
  if (replacement.size !== names.length) return null; // a fixed parameter differs: not one period
  // Subjects without a per-user parameter still need a row each: their positions.
  if (arrays.length === 0) {
    values.push(bound.map((_, i) => i + 1));
    arrays.push(`$${values.length}::int[]`);
    columns.push("position");
  }
  const text = first.text.replace(/\$(\d+)/g, (match, position: string) => replacement.get(Number(position)) ?? match);
  return {
    query: {
      text:
        `SELECT kpi_subject.n, kpi_query.* FROM unnest(${arrays.join(", ")}) WITH ORDINALITY AS kpi_subject(${columns.join(", ")}, n)\n` +
        // The newline before the closing parenthesis keeps a trailing `-- comment` from swallowing it.
        `CROSS JOIN LATERAL (SELECT * FROM (\n${statementText(text)}\n) AS kpi_inner LIMIT 2) AS kpi_query\nORDER BY kpi_subject.n`,
      values,
      parameters: {},
    },
    bound,
  };
}

/** The definition's SQL as one statement to embed: no trailing semicolons. */
export function statementText(text: string): string {
  return text.trim().replace(/;+\s*$/, "");
}
