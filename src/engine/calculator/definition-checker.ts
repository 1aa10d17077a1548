import type { CalculationTypeValue } from "../../db/schema/index.js";
import { badInput } from "../../lib/errors.js";
import { OUTBOUND_REFUSAL, refusedHost, type OutboundPolicy } from "../../lib/outbound-policy.js";
import { HTTP_PLACEHOLDER } from "../adapters/http.settings.js";
import { periodContaining } from "../../scoring/periods.js";
import { compileFormula, findCycle, FormulaError } from "../formula/index.js";
import { CalculationError, type CalculationSubject } from "../outcome.js";
import type { QueryRunner, QuerySource } from "../query/query-runner.js";

type Source = Record<string, unknown>;

/** Formula definitions and the definitions their `kpi` inputs use, by id. */
export type FormulaGraph = Map<number, number[]>;

export interface DefinitionLookups {
  formulaGraph(): Promise<FormulaGraph>;
  existingDefinitionIds(ids: number[]): Promise<Set<number>>;
}

/**
 * The checks of a data source that need the engine, run when a definition is saved (after the
 * shape checks of data-source.validation.ts): queries are run with LIMIT 0 in a read-only
 * transaction (syntax, readable tables, a numeric first column); formulas are compiled (unknown
 * variables and functions, with their position); `kpi` inputs must exist and must not form a cycle.
 */
export class DefinitionChecker {
  constructor(
    private readonly queries: QueryRunner,
    private readonly lookups: DefinitionLookups,
    private readonly today: () => string,
    private readonly outbound: OutboundPolicy,
  ) {}

  async check(calculationType: CalculationTypeValue, source: Source, definitionId?: number): Promise<void> {
    if (calculationType === "query") await this.checkQuery(source, "dataSource.query");
    if (calculationType === "formula") await this.checkFormula(source, definitionId);
    if (calculationType === "api") this.checkUrl(source, "dataSource.url");
  }

  /** An HTTP source's URL may not name an address outside the outbound policy (its names are checked when connecting). */
  private checkUrl(source: Source, path: string): void {
    if (source.type !== "http") return;
    let url: URL;
    try {
      url = new URL(String(source.url).replace(HTTP_PLACEHOLDER, "x"));
    } catch {
      return; // the shape checks have said why
    }
    const refused = refusedHost(url, this.outbound);
    if (refused) throw badInput(path, `may not lead to ${refused}: ${OUTBOUND_REFUSAL}`);
  }

  private async checkQuery(source: Source, path: string): Promise<void> {
    const subject: CalculationSubject = { userId: 0, period: periodContaining("monthly", this.today()), externalIds: {} };
    try {
      await this.queries.check(source as unknown as QuerySource, subject);
    } catch (error) {
      if (error instanceof CalculationError) throw badInput(path, error.message);
      throw error;
    }
  }

  private async checkFormula(source: Source, definitionId: number | undefined): Promise<void> {
    const inputs = source.inputs as Array<{ variable: string; source: Source }>;
    try {
      compileFormula(
        String(source.formula),
        inputs.map((input) => input.variable),
      );
    } catch (error) {
      if (error instanceof FormulaError) throw badInput("dataSource.formula", error.message);
      throw error;
    }
    for (const [i, input] of inputs.entries()) {
      if (input.source.type === "database") await this.checkQuery(input.source, `dataSource.inputs[${i}].source.query`);
    }
    const used = inputs.filter((input) => input.source.type === "kpi").map((input) => Number(input.source.kpiDefinitionId));
    if (used.length === 0) return;
    const existing = await this.lookups.existingDefinitionIds(used);
    const missing = used.find((id) => !existing.has(id));
    if (missing !== undefined) throw badInput("dataSource.inputs", `KPI definition ${missing} does not exist`);
    // A new definition cannot be used by others yet, so only a saved one can close a cycle.
    if (definitionId === undefined) return;
    const graph = await this.lookups.formulaGraph();
    graph.set(definitionId, used);
    const cycle = findCycle(graph);
    if (cycle) throw badInput("dataSource.inputs", `would make KPI definitions depend on themselves: ${cycle.join(" → ")}`);
  }
}
