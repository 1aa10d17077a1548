/** The KPI definitions a formula data source reads through `{ type: "kpi", kpiDefinitionId }` inputs, in order. */
export function kpiInputIds(dataSource: Record<string, unknown> | null | undefined): number[] {
  const inputs = Array.isArray(dataSource?.inputs) ? (dataSource.inputs as { source?: Record<string, unknown> }[]) : [];
  return inputs.filter((input) => input.source?.type === "kpi").map((input) => Number(input.source!.kpiDefinitionId));
}
