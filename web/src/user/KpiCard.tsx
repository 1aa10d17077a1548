import { useId, useMemo } from "react";
import { Link } from "react-router";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatNumber, formatPercent, formatPeriod, formatValue } from "../ui/format";
import { Sparkline } from "./LazyCharts";
import { StatusBadge } from "../ui/StatusBadge";
import { ForecastSentence } from "./ForecastSentence";
import { TARGET_TYPE_LABEL } from "./words";

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
      <p className="kpi-card-value">
        <span className="kpi-actual">{formatValue(current?.actualValue, unit)}</span>{" "}
        <span className="muted">
          of target {formatValue(kpi.targetValue, unit)} ({TARGET_TYPE_LABEL[targetType]})
        </span>
      </p>
      <dl className="facts">
        <div>
          <dt>Achievement</dt>
          <dd>{formatPercent(current?.achievementPercentage)}</dd>
        </div>
        <div>
          <dt>Weight</dt>
          <dd>{formatNumber(kpi.weight)} %</dd>
        </div>
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
