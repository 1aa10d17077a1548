import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatPeriod } from "../ui/format";
import { StatusBadge } from "../ui/StatusBadge";
import { ForecastSentence } from "./ForecastSentence";
import { AchievementAndWeight, ActualAgainstTarget } from "./ActualAgainstTarget";

export const KpiLatestFragment = graphql(`
  fragment KpiLatest_userKpi on UserKpi {
    targetValue
    weight
    kpiDefinition {
      id
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
    forecast {
      ...ForecastSentence_forecast
    }
  }
`);

/** The latest period's value against the target, with its status and where the current period is heading. */
export function KpiLatest(props: { userKpi: FragmentType<typeof KpiLatestFragment> }) {
  const kpi = getFragmentData(KpiLatestFragment, props.userKpi);
  const { unit, targetType } = kpi.kpiDefinition;
  const current = kpi.currentMeasurement;
  return (
    <section className="card stack-tight" aria-labelledby="kpi-latest-title">
      <div className="kpi-card-head">
        <h2 id="kpi-latest-title">Latest period{current ? `: ${formatPeriod(current.periodStart, current.periodEnd)}` : ""}</h2>
        <StatusBadge achievement={current?.achievementPercentage} />
      </div>
      <ActualAgainstTarget actual={current?.actualValue} target={kpi.targetValue} unit={unit} targetType={targetType} />
      <dl className="facts">
        <AchievementAndWeight achievement={current?.achievementPercentage} weight={kpi.weight} />
      </dl>
      {kpi.forecast ? (
        <ForecastSentence forecast={kpi.forecast} />
      ) : (
        <p className="muted">No forecast: the assignment does not cover the current period.</p>
      )}
    </section>
  );
}
