import type { TargetTypeValue } from "../../db/schema/index.js";
import type { Calculator, CalculableDefinition } from "../calculator/calculator.js";
import { CalculationError, type SourceResult } from "../outcome.js";
import type { QueryRunner } from "../query/query-runner.js";
import type { Period } from "../../scoring/periods.js";
import { calculatedMeasurement, type MeasurementWrite } from "./measurement-writer.js";
import { prefetchQueries, type PrefetchedQueries } from "./query-prefetch.js";

/** One assignment to calculate, with what the engine and the measurement need. */
export interface CalculableAssignment {
  userKpiId: number;
  userId: number;
  targetValue: number;
  targetType: TargetTypeValue;
  definition: CalculableDefinition;
  period: Period;
  externalIds: Record<string, string>;
}

export type AssignmentOutcome = "succeeded" | "undefined" | "skipped" | "failed";

export interface AssignmentResult {
  assignment: CalculableAssignment;
  outcome: AssignmentOutcome;
  /** Why there is no value: the undefined or skipped reason, or the failure's message. */
  message?: string;
  write?: MeasurementWrite;
}

/** One calculation; a CalculationError is a failed result, anything else is a bug and throws. */
async function calculateOne(calculator: Calculator, queries: Parameters<Calculator["calculate"]>[2], a: CalculableAssignment) {
  let result: SourceResult;
  const started = performance.now();
  try {
    result = await calculator.calculate(
      a.definition,
      { userId: a.userId, period: a.period, externalIds: a.externalIds },
      queries,
    );
  } catch (error) {
    if (error instanceof CalculationError)
      return { assignment: a, outcome: "failed", message: error.message } as AssignmentResult;
    throw error;
  }
  if (result.kind === "skipped") return { assignment: a, outcome: "skipped", message: result.reason } as AssignmentResult;
  const write = calculatedMeasurement(result, a, a.period, {
    calculatedInMs: Math.round((performance.now() - started) * 10) / 10,
  });
  return result.kind === "value"
    ? ({ assignment: a, outcome: "succeeded", write } as AssignmentResult)
    : ({ assignment: a, outcome: "undefined", message: result.reason, write } as AssignmentResult);
}

/**
 * Calculates assignments with `concurrency` workers, each pulling the next one. Database queries are
 * first run once per query and period for all the assignments' users (prefetchQueries); what that
 * misses runs in the worker's query session (one read-only transaction, one round trip per query). Results come
 * back in the order of `assignments`; `afterEach` lets a long batch report progress (job.touch).
 */
export async function calculateAssignments(
  calculator: Calculator,
  queries: QueryRunner,
  assignments: readonly CalculableAssignment[],
  options: { concurrency: number; afterEach?: (done: number) => Promise<void> | void },
): Promise<AssignmentResult[]> {
  const results = new Array<AssignmentResult>(assignments.length);
  const ahead = queries.openSession();
  let prefetched: PrefetchedQueries;
  try {
    prefetched = await prefetchQueries(ahead, assignments);
  } finally {
    await ahead.close();
  }
  let next = 0;
  let done = 0;
  const worker = async () => {
    const session = queries.openSession();
    const executor = prefetched.over(session);
    try {
      while (next < assignments.length) {
        const index = next++;
        results[index] = await calculateOne(calculator, executor, assignments[index]!);
        await options.afterEach?.(++done);
      }
    } finally {
      await session.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, assignments.length) }, worker));
  return results;
}

/**
 * Calculates assignments stage by stage (definitionStages): a formula over another KPI runs after
 * that KPI's stage is stored, so it reads this run's value. `afterStage` stores a stage's results
 * before the next stage starts.
 */
export async function calculateInStages<A extends CalculableAssignment & { stage: number }>(
  calculator: Calculator,
  queries: QueryRunner,
  assignments: readonly A[],
  options: {
    concurrency: number;
    afterEach?: (done: number) => Promise<void> | void;
    afterStage: (results: (AssignmentResult & { assignment: A })[]) => Promise<void>;
  },
): Promise<void> {
  const maxStage = assignments.reduce((max, a) => Math.max(max, a.stage), 0);
  for (let stage = 0; stage <= maxStage; stage++) {
    const inStage = assignments.filter((a) => a.stage === stage);
    const results = await calculateAssignments(calculator, queries, inStage, options);
    await options.afterStage(results as (AssignmentResult & { assignment: A })[]);
  }
}
