import { compileFormula, FormulaError, type CompiledFormula } from "../formula/index.js";
import type { AdapterRegistry } from "../adapters/adapter.js";
import { CalculationError, type CalculationSubject, type SourceResult } from "../outcome.js";
import type { QueryExecutor, QueryRunner, QuerySource } from "../query/query-runner.js";

export interface CalculableDefinition {
  id: number;
  calculationType: "manual" | "query" | "api" | "formula";
  dataSource: Record<string, unknown> | null;
  /** Changes whenever the definition does: compiled formulas are cached per version. */
  updatedAt: Date;
}

interface FormulaSource {
  type: "formula";
  formula: string;
  inputs: Array<{ variable: string; source: Record<string, unknown> }>;
}

/** The same user's measurement of another KPI for the same period (formula inputs of type "kpi"). */
export type KpiValueLookup = (
  userId: number,
  kpiDefinitionId: number,
  period: CalculationSubject["period"],
) => Promise<number | null>;

/**
 * One calculation: a definition's source for a user and a period, giving a value with its
 * provenance. Knows nothing of GraphQL or of where the result is stored.
 */
export class Calculator {
  private readonly formulas = new Map<string, CompiledFormula>();

  constructor(
    private readonly queries: QueryRunner,
    private readonly adapters: AdapterRegistry,
    private readonly kpiValue: KpiValueLookup,
  ) {}

  /** `queries` may be a batch's QuerySession, so that its queries share one transaction. */
  async calculate(
    definition: CalculableDefinition,
    subject: CalculationSubject,
    queries: QueryExecutor = this.queries,
  ): Promise<SourceResult> {
    const source = definition.dataSource ?? {};
    switch (definition.calculationType) {
      case "manual":
        throw new CalculationError("MANUAL KPIs are recorded by hand, never calculated");
      case "query":
        return queries.run(source as unknown as QuerySource, subject);
      case "api":
        return this.fetch(source, subject);
      case "formula":
        return this.formula(definition, source as unknown as FormulaSource, subject, queries);
    }
  }

  private async fetch(source: Record<string, unknown>, subject: CalculationSubject): Promise<SourceResult> {
    const adapter = this.adapters.get(String(source.type));
    if (!adapter) throw new CalculationError(`no data-source adapter "${String(source.type)}" is available on this server`);
    if (adapter.provider && !subject.externalIds[adapter.provider]) {
      return { kind: "skipped", reason: `no ${adapter.provider} id`, metadata: { source: adapter.type } };
    }
    return adapter.fetch(source, subject);
  }

  private async input(
    source: Record<string, unknown>,
    subject: CalculationSubject,
    queries: QueryExecutor,
  ): Promise<SourceResult> {
    switch (source.type) {
      case "database":
        return queries.run(source as unknown as QuerySource, subject);
      case "kpi": {
        const kpiDefinitionId = Number(source.kpiDefinitionId);
        const value = await this.kpiValue(subject.userId, kpiDefinitionId, subject.period);
        const metadata = { source: "kpi", kpiDefinitionId };
        return value === null
          ? { kind: "undefined", reason: `no measurement of KPI ${kpiDefinitionId} for the period`, metadata }
          : { kind: "value", value, metadata };
      }
      default:
        return this.fetch(source, subject);
    }
  }

  private async formula(
    definition: CalculableDefinition,
    source: FormulaSource,
    subject: CalculationSubject,
    queries: QueryExecutor,
  ): Promise<SourceResult> {
    const compiled = this.compiled(definition, source);
    const results = await Promise.all(source.inputs.map((input) => this.input(input.source, subject, queries)));
    const inputs: Record<string, unknown> = {};
    const values: Record<string, number | null> = {};
    for (const [i, input] of source.inputs.entries()) {
      const result = results[i]!;
      inputs[input.variable] =
        result.kind === "value"
          ? { value: result.value, ...result.metadata }
          : { [result.kind]: result.reason, ...result.metadata };
      if (result.kind === "skipped")
        return { kind: "skipped", reason: `${input.variable}: ${result.reason}`, metadata: { source: "formula", inputs } };
      values[input.variable] = result.kind === "value" ? result.value : null;
    }
    const metadata = { source: "formula", formula: source.formula, inputs };
    const evaluated = compiled.evaluate(values);
    return evaluated.kind === "value"
      ? { kind: "value", value: evaluated.value, metadata }
      : { kind: "undefined", reason: evaluated.reason, metadata };
  }

  private compiled(definition: CalculableDefinition, source: FormulaSource): CompiledFormula {
    // A saved formula was compiled when it was saved; an unsaved one (a preview) may not compile.
    const compile = () => {
      try {
        return compileFormula(
          source.formula,
          source.inputs.map((input) => input.variable),
        );
      } catch (error) {
        if (error instanceof FormulaError) throw new CalculationError(error.message, { position: error.index });
        throw error;
      }
    };
    // A definition not saved yet (a preview) has no id to cache it under.
    if (definition.id <= 0) return compile();
    const key = `${definition.id}@${definition.updatedAt.getTime()}`;
    let compiled = this.formulas.get(key);
    if (!compiled) {
      compiled = compile();
      this.formulas.set(key, compiled);
    }
    return compiled;
  }
}
