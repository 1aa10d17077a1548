import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatPercent, formatValue } from "../ui/format";
import { EmptyState } from "../ui/QueryState";
import { StatusBadge } from "../ui/StatusBadge";

const TeamAveragesPanelFragment = graphql(`
  fragment TeamAveragesPanel_team on Team {
    averages {
      overallScore
      kpiAverages {
        averageAchievementPercentage
        averageActualValue
        memberCount
        kpiDefinition {
          id
          name
          unit
        }
      }
    }
  }
`);

/** The team's average overall score and, per KPI, the average over its latest measured period. */
export function TeamAveragesPanel(props: { team: FragmentType<typeof TeamAveragesPanelFragment> }) {
  const { averages } = getFragmentData(TeamAveragesPanelFragment, props.team);
  return (
    <div className="team-averages">
      <div className="card team-score">
        <h3>Average overall score</h3>
        <p className="big-number">{formatPercent(averages.overallScore)}</p>
        <StatusBadge achievement={averages.overallScore} />
      </div>
      {averages.kpiAverages.length === 0 ? (
        <EmptyState>No KPI has been measured for this team yet.</EmptyState>
      ) : (
        <ul className="kpi-averages" aria-label="Average per KPI">
          {averages.kpiAverages.map((average) => (
            <li key={average.kpiDefinition.id} className="card">
              <h3>{average.kpiDefinition.name}</h3>
              <p className="kpi-average-figure">
                <span className="figure">{formatPercent(average.averageAchievementPercentage)}</span>{" "}
                <StatusBadge achievement={average.averageAchievementPercentage} />
              </p>
              <p className="muted small">
                Average {formatValue(average.averageActualValue, average.kpiDefinition.unit)} ·{" "}
                {average.memberCount === 1 ? "1 member measured" : `${average.memberCount} members measured`}
              </p>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
