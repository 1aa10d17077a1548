import { useId, useMemo } from "react";
import { Link } from "react-router";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatPeriod, formatValue } from "../ui/format";
import { Sparkline } from "./LazyCharts";
import { StatusBadge } from "../ui/StatusBadge";
import { ForecastSentence } from "./ForecastSentence";
import { AchievementAndWeight, ActualAgainstTarget } from "./ActualAgainstTarget";

export const KpiCardFragment = graphql(`
  fragment KpiCard_userKpi on UserKpi {
    id
    targetValue
    weight
    kpiDefinition {
      id
      name
      unit
      targetType
    }
    currentMeasurement {
      id
      actualValue
      achievementPercentage
      periodStart
      periodEnd
    }
    trend(periods: 6) {
      id
      actualValue
      periodStart
      periodEnd
    }
    forecast {
      ...ForecastSentence_forecast
    }
  }
`);

/** One assigned KPI: latest value against target, achievement, weight, status, trend and forecast. */
export function KpiCard(props: { userKpi: FragmentType<typeof KpiCardFragment> }) {
  const kpi = getFragmentData(KpiCardFragment, props.userKpi);
  const titleId = useId();
  const { name, unit, targetType } = kpi.kpiDefinition;
  const current = kpi.currentMeasurement;
  const values = useMemo(() => kpi.trend.map((point) => point.actualValue ?? null), [kpi.trend]);
  const trendLabel =
    kpi.trend.length === 0
      ? `${name}: no values yet`
      : `${name}, last ${kpi.trend.length} ${kpi.trend.length === 1 ? "period" : "periods"}, oldest first: ` +
        kpi.trend
          .map((point) => `${formatPeriod(point.periodStart, point.periodEnd)} ${formatValue(point.actualValue, unit)}`)
          .join(", ");

  return (
    <article className="card kpi-card" aria-labelledby={titleId}>
      <div className="kpi-card-head">
        <h2 id={titleId} className="kpi-card-title">
          <Link to={`/kpis/${kpi.id}`}>{name}</Link>
        </h2>
        <StatusBadge achievement={current?.achievementPercentage} />
      </div>
      <ActualAgainstTarget actual={current?.actualValue} target={kpi.targetValue} unit={unit} targetType={targetType} />
      <dl className="facts">
        <AchievementAndWeight achievement={current?.achievementPercentage} weight={kpi.weight} />
        <div>
          <dt>Period</dt>
          <dd>{current ? formatPeriod(current.periodStart, current.periodEnd) : "No value yet"}</dd>
        </div>
      </dl>
      <div className="kpi-card-trend">
        <span className="facts-label" aria-hidden="true">
          Trend
        </span>
        <Sparkline values={values} label={trendLabel} />
      </div>
      {kpi.forecast && <ForecastSentence forecast={kpi.forecast} />}
    </article>
  );
}
