import { useMemo } from "react";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import { Chart } from "../ui/Chart";
import { formatPercent, formatPeriod, formatPeriodShort } from "../ui/format";
import { EmptyState } from "../ui/QueryState";

const TeamTrendChartFragment = graphql(`
  fragment TeamTrendChart_team on Team {
    trend(aggregationPeriod: MONTHLY, periods: 6) {
      periodStart
      periodEnd
      averageOverallScore
      membersWithScore
    }
  }
`);

/**
 * The team's average overall score per month (bars, with the 100 % target as a line); the same
 * figures are in a table below it for screen readers and for anyone who prefers numbers.
 */
export function TeamTrendChart(props: { team: FragmentType<typeof TeamTrendChartFragment> }) {
  const { trend } = getFragmentData(TeamTrendChartFragment, props.team);
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      tooltip: { trigger: "axis", valueFormatter: (value: unknown) => formatPercent(typeof value === "number" ? value : null) },
      xAxis: { type: "category", data: trend.map((point) => formatPeriodShort(point.periodStart, point.periodEnd)) },
      yAxis: { type: "value", axisLabel: { formatter: "{value} %" }, scale: false },
      series: [
        {
          name: "Average overall score",
          type: "bar",
          data: trend.map((point) => point.averageOverallScore),
          itemStyle: { color: "#1f4fd1" },
          barMaxWidth: 40,
          markLine: {
            symbol: "none",
            silent: true,
            label: { formatter: "Target 100 %", position: "insideEndTop" },
            lineStyle: { color: "#1a7f37", type: "dashed" },
            data: [{ yAxis: 100 }],
          },
        },
      ],
    }),
    [trend],
  );

  const measured = trend.filter((point) => point.averageOverallScore !== null);
  if (measured.length === 0) return <EmptyState>No scores yet: the chart fills in as the team's KPIs are measured.</EmptyState>;
  const first = measured[0]!;
  const last = measured.at(-1)!;
  const label =
    `Bar chart of the team's average overall score by month, ${formatPeriod(trend[0]!.periodStart, trend[0]!.periodEnd)} to ` +
    `${formatPeriod(trend.at(-1)!.periodStart, trend.at(-1)!.periodEnd)}: ${formatPercent(first.averageOverallScore)} in ` +
    `${formatPeriod(first.periodStart, first.periodEnd)}, ${formatPercent(last.averageOverallScore)} in ${formatPeriod(last.periodStart, last.periodEnd)}. ` +
    "The figures are in the table below the chart.";

  return (
    <div className="stack">
      <Chart option={option} label={label} height={260} />
      <details className="chart-data">
        <summary>Show the figures</summary>
        <table>
          <caption className="visually-hidden">Team average overall score by month</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="number">
                Average score
              </th>
              <th scope="col" className="number">
                Members with a score
              </th>
            </tr>
          </thead>
          <tbody>
            {trend.map((point) => (
              <tr key={point.periodStart}>
                <th scope="row">{formatPeriod(point.periodStart, point.periodEnd)}</th>
                <td className="number">{formatPercent(point.averageOverallScore)}</td>
                <td className="number">{point.membersWithScore}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
