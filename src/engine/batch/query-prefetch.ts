import type { CalculableDefinition } from "../calculator/calculator.js";
import { CalculationError, type CalculationSubject } from "../outcome.js";
import type { BatchQueryExecutor, BatchResult, QueryExecutor, QuerySource } from "../query/query-runner.js";

interface Prefetchable {
  userId: number;
  definition: CalculableDefinition;
  period: { start: string; end: string };
  externalIds: Readonly<Record<string, string>>;
}

/** The database queries a definition runs for one user: its own (QUERY) or its formula's inputs. */
function querySourcesOf(definition: CalculableDefinition): QuerySource[] {
  const source = definition.dataSource;
  if (!source) return [];
  if (definition.calculationType === "query") return [source as unknown as QuerySource];
  if (definition.calculationType !== "formula" || !Array.isArray(source.inputs)) return [];
  return (source.inputs as { source?: Record<string, unknown> }[])
    .map((input) => input.source)
    .filter((input): input is Record<string, unknown> => input?.type === "database")
    .map((input) => input as unknown as QuerySource);
}

const queryKey = (source: QuerySource, period: { start: string; end: string }) =>
  `${source.connection ?? "default"}\u0000${period.start}\u0000${period.end}\u0000${source.query}`;

/** Query results fetched ahead for many users at once; a calculation they miss runs its query itself. */
export class PrefetchedQueries {
  constructor(private readonly answers: ReadonlyMap<string, BatchResult>) {}

  /** An executor that answers from the prefetched results, else runs the query on `fallback`. */
  over(fallback: QueryExecutor): QueryExecutor {
    return {
      run: (source, subject) => {
        const answer = this.answers.get(`${queryKey(source, subject.period)}\u0000${subject.userId}`);
        if (answer === undefined) return fallback.run(source, subject);
        return answer instanceof CalculationError ? Promise.reject(answer) : Promise.resolve(answer);
      },
    };
  }
}

/**
 * Runs each distinct query of a batch once for all its users of a period (batchedQuery) instead of
 * once per user. A query whose batch fails as a whole (a type the per-user columns do not fit, a
 * timeout) is left to run per user, as it always did, so a batch is never worse than the queries
 * one by one.
 */
export async function prefetchQueries(
  session: BatchQueryExecutor,
  assignments: readonly Prefetchable[],
): Promise<PrefetchedQueries> {
  const groups = new Map<string, { source: QuerySource; subjects: CalculationSubject[]; users: Set<number> }>();
  for (const a of assignments) {
    for (const source of querySourcesOf(a.definition)) {
      const key = queryKey(source, a.period);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { source, subjects: [], users: new Set() }));
      if (group.users.has(a.userId)) continue;
      group.users.add(a.userId);
      group.subjects.push({ userId: a.userId, period: a.period, externalIds: a.externalIds });
    }
  }
  const answers = new Map<string, BatchResult>();
  for (const [key, group] of groups) {
    if (group.subjects.length < 2) continue;
    let results: BatchResult[];
    try {
      results = await session.runMany(group.source, group.subjects);
    } catch (error) {
      if (error instanceof CalculationError) continue;
      throw error;
    }
    group.subjects.forEach((subject, i) => answers.set(`${key}\u0000${subject.userId}`, results[i]!));
  }
  return new PrefetchedQueries(answers);
}
