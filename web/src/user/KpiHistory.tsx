import { useMemo } from "react";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import type { KpiHistory_UserKpiFragment } from "../gql/graphql";
import { Chart } from "./LazyCharts";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { formatDateTime, formatPercent, formatPeriod, formatPeriodShort, formatValue } from "../ui/format";
import { StatusBadge } from "../ui/StatusBadge";
import { STATUS_LABEL, statusOf } from "../ui/status";

export const KpiHistoryFragment = graphql(`
  fragment KpiHistory_userKpi on UserKpi {
    targetValue
    kpiDefinition {
      id
      name
      unit
    }
    history(limit: 24) {
      id
      periodStart
      periodEnd
      actualValue
      targetValue
      achievementPercentage
      notes
      calculatedAt
      calculatedBy {
        id
        name
      }
    }
  }
`);

type Measurement = KpiHistory_UserKpiFragment["history"][number];

/** The KPI's measured periods: a line chart against the target, and the same figures as a table with notes. */
export function KpiHistory(props: { userKpi: FragmentType<typeof KpiHistoryFragment> }) {
  const kpi = getFragmentData(KpiHistoryFragment, props.userKpi);
  const { name, unit } = kpi.kpiDefinition;
  const history = kpi.history;

  const columns = useMemo<Array<ColumnDef<Measurement, any>>>(
    () => [
      {
        id: "period",
        header: "Period",
        accessorFn: (m) => m.periodStart,
        cell: ({ row }) => formatPeriod(row.original.periodStart, row.original.periodEnd),
      },
      {
        id: "value",
        header: "Value",
        accessorFn: (m) => m.actualValue,
        cell: ({ row }) => formatValue(row.original.actualValue, unit),
        meta: { numeric: true },
      },
      {
        id: "target",
        header: "Target",
        accessorFn: (m) => m.targetValue,
        cell: ({ row }) => formatValue(row.original.targetValue, unit),
        meta: { numeric: true },
      },
      {
        id: "achievement",
        header: "Achievement",
        accessorFn: (m) => m.achievementPercentage,
        cell: ({ row }) => formatPercent(row.original.achievementPercentage),
        meta: { numeric: true },
      },
      {
        id: "status",
        header: "Status",
        accessorFn: (m) => STATUS_LABEL[statusOf(m.achievementPercentage)],
        cell: ({ row }) => <StatusBadge achievement={row.original.achievementPercentage} />,
      },
      {
        id: "notes",
        header: "Notes",
        accessorFn: (m) => m.notes ?? "",
        // Text only: React escapes it; notes are never rendered as HTML.
        cell: ({ row }) => <span className="notes">{row.original.notes || "—"}</span>,
        enableSorting: false,
      },
      {
        id: "by",
        header: "Recorded by",
        accessorFn: (m) => m.calculatedBy?.name ?? "Automatic",
      },
      {
        id: "when",
        header: "When",
        accessorFn: (m) => m.calculatedAt,
        cell: ({ row }) => <time dateTime={row.original.calculatedAt}>{formatDateTime(row.original.calculatedAt)}</time>,
      },
    ],
    [unit],
  );

  return (
    <section className="card stack" aria-labelledby="kpi-history-title">
      <h2 id="kpi-history-title">History</h2>
      {history.length === 0 ? (
        <p className="empty">No values recorded yet.</p>
      ) : (
        <>
          <HistoryChart name={name} unit={unit ?? null} target={kpi.targetValue} history={history} />
          <DataTable
            columns={columns}
            data={history}
            caption={`${name}: values per period, newest first`}
            initialSorting={[{ id: "period", desc: true }]}
          />
        </>
      )}
    </section>
  );
}

function HistoryChart(props: { name: string; unit: string | null; target: number; history: Measurement[] }) {
  const { name, unit, target, history } = props;
  const oldestFirst = useMemo(() => [...history].reverse(), [history]);
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 8, right: 64, top: 16, bottom: 8, outerBoundsMode: "same", outerBoundsContain: "axisLabel" },
      tooltip: {
        trigger: "axis",
        valueFormatter: (value: unknown) => formatValue(typeof value === "number" ? value : null, unit),
      },
      xAxis: {
        type: "category",
        boundaryGap: false,
        data: oldestFirst.map((m) => formatPeriodShort(m.periodStart, m.periodEnd)),
        axisLabel: { color: "#57606a", hideOverlap: true },
      },
      yAxis: {
        type: "value",
        scale: true,
        // The target line stays in view even when every value is far from it.
        min: (extent: { min: number }) => Math.min(extent.min, target),
        max: (extent: { max: number }) => Math.max(extent.max, target),
        axisLabel: { color: "#57606a" },
      },
      series: [
        {
          type: "line",
          name,
          data: oldestFirst.map((m) => m.actualValue ?? null),
          symbolSize: 7,
          lineStyle: { width: 2, color: "#1f4fd1" },
          itemStyle: { color: "#1f4fd1" },
          markLine: {
            symbol: "none",
            silent: true,
            lineStyle: { type: "dashed", color: "#8a5a00", width: 1.5 },
            label: { formatter: `Target\n${formatValue(target, unit)}`, position: "end", color: "#1b1f24", lineHeight: 16 },
            data: [{ yAxis: target, name: "Target" }],
          },
        },
      ],
    }),
    [name, unit, target, oldestFirst],
  );
  const first = oldestFirst[0]!;
  const last = oldestFirst.at(-1)!;
  const label =
    `Line chart of ${name} over ${oldestFirst.length} ${oldestFirst.length === 1 ? "period" : "periods"}, ` +
    `${formatPeriod(first.periodStart, first.periodEnd)} to ${formatPeriod(last.periodStart, last.periodEnd)}, ` +
    `against the target of ${formatValue(target, unit)}. The values are in the table below.`;
  return <Chart option={option} label={label} height={260} />;
}
