import { getFragmentData, graphql, type FragmentType } from "../gql";
import { formatPercent } from "../ui/format";
import { StatusBadge } from "../ui/StatusBadge";

export const OverallScoreCardFragment = graphql(`
  fragment OverallScoreCard_user on User {
    overallScore
  }
`);

/** The weighted average achievement of the person's active KPIs, with its status in words. */
export function OverallScoreCard(props: { user: FragmentType<typeof OverallScoreCardFragment> }) {
  const user = getFragmentData(OverallScoreCardFragment, props.user);
  return (
    <section className="card overall-score" aria-labelledby="overall-score-title">
      <h2 id="overall-score-title">Overall score</h2>
      <div className="row">
        <span className="big-number">{formatPercent(user.overallScore)}</span>
        <StatusBadge achievement={user.overallScore} />
      </div>
      <p className="muted">Weighted average achievement of the active KPIs in their latest periods.</p>
    </section>
  );
}
