import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatNumber, formatPercent, formatPeriod, formatValue } from "../ui/format";

export const KpiComparisonFragment = graphql(`
  fragment KpiComparison_userKpi on UserKpi {
    kpiDefinition {
      id
      unit
    }
    comparison(periods: 3) {
      periodStart
      periodEnd
      actualValue
      achievementPercentage
      previous {
        ...KpiComparison_period
      }
      samePeriodLastYear {
        ...KpiComparison_period
      }
    }
  }
`);

export const KpiComparisonPeriodFragment = graphql(`
  fragment KpiComparison_period on PeriodComparison {
    periodStart
    periodEnd
    actualValue
    achievementPercentage
    valueChange
    valueChangePercent
  }
`);

/** The latest period against the periods before it and the same period last year: values and changes in words. */
export function KpiComparison(props: { userKpi: FragmentType<typeof KpiComparisonFragment> }) {
  const kpi = getFragmentData(KpiComparisonFragment, props.userKpi);
  const comparison = kpi.comparison;
  const unit = kpi.kpiDefinition.unit;
  return (
    <section className="card" aria-labelledby="kpi-comparison-title">
      <h2 id="kpi-comparison-title">Compared with earlier periods</h2>
      {!comparison ? (
        <p className="empty">Nothing to compare yet: no value has been recorded.</p>
      ) : (
        <>
          <p>
            {formatPeriod(comparison.periodStart, comparison.periodEnd)}:{" "}
            <strong>{formatValue(comparison.actualValue, unit)}</strong> ({formatPercent(comparison.achievementPercentage)} of
            target)
          </p>
          <div className="table-scroll" role="region" aria-labelledby="kpi-comparison-title" tabIndex={0}>
            <table>
              <caption className="visually-hidden">
                {formatPeriod(comparison.periodStart, comparison.periodEnd)} against earlier periods
              </caption>
              <thead>
                <tr>
                  <th scope="col">Compared with</th>
                  <th scope="col" className="number">
                    Value then
                  </th>
                  <th scope="col">Change since</th>
                </tr>
              </thead>
              <tbody>
                {comparison.previous.map((period, index) => (
                  <ComparisonRow
                    key={index}
                    label={index === 0 ? "Previous period" : `${index + 1} periods before`}
                    period={period}
                    unit={unit}
                  />
                ))}
                <ComparisonRow label="Same period last year" period={comparison.samePeriodLastYear} unit={unit} />
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function ComparisonRow(props: {
  label: string;
  period: FragmentType<typeof KpiComparisonPeriodFragment>;
  unit: string | null | undefined;
}) {
  const period = getFragmentData(KpiComparisonPeriodFragment, props.period);
  return (
    <tr>
      <th scope="row">
        {props.label}
        <span className="cell-sub">{formatPeriod(period.periodStart, period.periodEnd)}</span>
      </th>
      <td className="number">
        {period.actualValue === null || period.actualValue === undefined
          ? "No value"
          : formatValue(period.actualValue, props.unit)}
        {period.achievementPercentage !== null && period.achievementPercentage !== undefined && (
          <span className="cell-sub">{formatPercent(period.achievementPercentage)} of target</span>
        )}
      </td>
      <td>
        <Change value={period.valueChange} percent={period.valueChangePercent} unit={props.unit} />
      </td>
    </tr>
  );
}

/** A change with its sign, an arrow and the word: "↑ up +0.5 score (+12.5 %)". */
function Change(props: {
  value: number | null | undefined;
  percent: number | null | undefined;
  unit: string | null | undefined;
}) {
  const { value, percent } = props;
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (value === 0) return <span>no change</span>;
  const up = value > 0;
  const sign = up ? "+" : "−";
  return (
    <span className="change">
      <span aria-hidden="true">{up ? "↑ " : "↓ "}</span>
      {up ? "up" : "down"} {sign}
      {formatValue(Math.abs(value), props.unit)}
      {percent !== null && percent !== undefined && (
        <span className="nowrap">
          {" "}
          ({sign}
          {formatNumber(Math.abs(percent))} %)
        </span>
      )}
    </span>
  );
}
