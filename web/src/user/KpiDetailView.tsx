/** Placeholder: the view is built in its own change. */
export function KpiDetailView() {
  return <h1>KPI</h1>;
}
