import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatDateTime, formatNumber } from "../ui/format";
import { AGGREGATION_PERIOD_LABEL, CALCULATION_TYPE_LABEL } from "./words";

export const KpiSourceFragment = graphql(`
  fragment KpiSource_userKpi on UserKpi {
    kpiDefinition {
      id
      description
      calculationType
      aggregationPeriod
      allowedRange {
        min
        max
      }
    }
    currentMeasurement {
      id
      calculatedAt
      calculatedBy {
        id
        name
      }
    }
  }
`);

/** Where the values come from: how they are calculated, over which period, and when last. */
export function KpiSource(props: { userKpi: FragmentType<typeof KpiSourceFragment> }) {
  const kpi = getFragmentData(KpiSourceFragment, props.userKpi);
  const definition = kpi.kpiDefinition;
  const current = kpi.currentMeasurement;
  return (
    <section className="card" aria-labelledby="kpi-source-title">
      <h2 id="kpi-source-title">Where the values come from</h2>
      {definition.description && <p>{definition.description}</p>}
      <dl className="details">
        <div>
          <dt>Source</dt>
          <dd>{CALCULATION_TYPE_LABEL[definition.calculationType]}</dd>
        </div>
        <div>
          <dt>Measured</dt>
          <dd>{AGGREGATION_PERIOD_LABEL[definition.aggregationPeriod]}</dd>
        </div>
        {definition.allowedRange && (
          <div>
            <dt>Accepted values</dt>
            <dd>
              {formatNumber(definition.allowedRange.min)} to {formatNumber(definition.allowedRange.max)}
            </dd>
          </div>
        )}
        <div>
          <dt>Last calculated</dt>
          <dd>
            {current ? (
              <>
                <time dateTime={current.calculatedAt}>{formatDateTime(current.calculatedAt)}</time>
                {current.calculatedBy ? `, recorded by ${current.calculatedBy.name}` : ", automatically"}
              </>
            ) : (
              "Not yet"
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}
