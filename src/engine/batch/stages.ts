import { kpiInputIds } from "../formula/kpi-inputs.js";

/**
 * The order in which a batch calculates its definitions: 0 for those that read no other KPI, and
 * for a formula over `{ type: "kpi" }` inputs one more than the latest stage of those inputs, so
 * that a composite KPI reads values this run has already stored. Cycles are refused when
 * definitions are saved; a depth bound keeps a corrupted graph from looping anyway.
 */
export function definitionStages(definitions: readonly { id: number; dataSource: Record<string, unknown> | null }[]) {
  const inputsOf = new Map<number, number[]>();
  for (const { id, dataSource } of definitions) inputsOf.set(id, kpiInputIds(dataSource));
  const stages = new Map<number, number>();
  const stageOf = (id: number, depth: number): number => {
    const known = stages.get(id);
    if (known !== undefined) return known;
    const inputs = (inputsOf.get(id) ?? []).filter((input) => inputsOf.has(input));
    const stage =
      depth > inputsOf.size || inputs.length === 0 ? 0 : 1 + Math.max(...inputs.map((input) => stageOf(input, depth + 1)));
    stages.set(id, stage);
    return stage;
  };
  for (const id of inputsOf.keys()) stageOf(id, 0);
  return stages;
}
