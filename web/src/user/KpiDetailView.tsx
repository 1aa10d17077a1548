import { lazy, Suspense } from "react";
import { Loading } from "../ui/QueryState";

// The detail page (its table library and chart) loads when first opened: the first load stays lean.
const KpiDetailPage = lazy(() => import("./KpiDetailPage").then((m) => ({ default: m.KpiDetailPage })));

/** `/kpis/:userKpiId`: one assigned KPI in full (see KpiDetailPage). */
export function KpiDetailView() {
  return (
    <Suspense fallback={<Loading />}>
      <KpiDetailPage />
    </Suspense>
  );
}
