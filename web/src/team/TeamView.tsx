import { lazy, Suspense, useCallback, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { useViewer } from "../app/viewer";
import { graphql } from "../gql";
import { Loading, QueryState } from "../ui/QueryState";
import { AssignKpiDialog, type AssignOutcome } from "./AssignKpiDialog";
import { TeamAlerts } from "./TeamAlerts";
import { TeamAveragesPanel } from "./TeamAveragesPanel";
import { TeamExports } from "./TeamExports";
import { TeamMembersTable } from "./TeamMembersTable";

// ECharts is most of this view's weight: it loads beside the figures instead of before them.
const TeamTrendChart = lazy(() => import("./TeamTrendChart").then((m) => ({ default: m.TeamTrendChart })));

const TeamViewQuery = graphql(`
  query TeamView($id: ID!) {
    team(id: $id) {
      id
      name
      manager {
        id
        name
      }
      ...TeamAveragesPanel_team
      ...TeamTrendChart_team
      ...TeamMembersTable_team
      ...TeamAssign_team
    }
  }
`);

/**
 * One team for its manager (the design's TeamKPIView): averages, the score over time, the members
 * with each KPI, open alerts (live), manual values, assignments and exports. A member who is not
 * the manager sees the figures the server lets them see and none of the actions.
 */
export function TeamView() {
  const { teamId = "" } = useParams();
  const viewer = useViewer();
  const [result, reexecute] = useQuery({ query: TeamViewQuery, variables: { id: teamId } });
  const [message, setMessage] = useState<string>("");
  const [assigned, setAssigned] = useState<AssignOutcome | null>(null);

  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const onRecorded = useCallback(
    (text: string) => {
      setAssigned(null);
      setMessage(text);
      refresh();
    },
    [refresh],
  );
  const onAssigned = useCallback(
    (outcome: AssignOutcome) => {
      setMessage("");
      setAssigned(outcome);
      refresh();
    },
    [refresh],
  );

  return (
    <QueryState result={result}>
      {({ team }) => {
        // A refusal (another team's, or figures the viewer may not see) is shown above, as the server said it.
        if (!team && result.error) return null;
        if (!team) {
          return (
            <div className="stack">
              <h1>Team not found</h1>
              <p>
                There is no team with this address. <Link to="/teams">Back to the teams</Link>
              </p>
            </div>
          );
        }
        const canManage = viewer.role === "ADMIN" || team.manager?.id === viewer.id;
        return (
          <div className="stack team-view">
            <div className="team-head">
              <div>
                <p className="muted small">
                  <Link to="/teams">Teams</Link>
                </p>
                <h1>{team.name}</h1>
                <p className="muted">{team.manager ? `Managed by ${team.manager.name}` : "No manager"}</p>
              </div>
              <TeamExports teamId={team.id} teamName={team.name} />
            </div>

            {/* What the last action did, read out as it appears. */}
            <div role="status" aria-live="polite" className="team-outcome">
              {message && <p className="notice">{message}</p>}
              {assigned && (
                <div className="notice">
                  <strong>{assigned.summary}</strong>
                  {assigned.created.length > 0 && <p>Created for: {assigned.created.join(", ")}.</p>}
                  {assigned.existing.length > 0 && <p>Already there for: {assigned.existing.join(", ")}.</p>}
                </div>
              )}
            </div>

            <section aria-labelledby="team-averages-heading">
              <h2 id="team-averages-heading">Team averages</h2>
              <TeamAveragesPanel team={team} />
            </section>

            <div className={canManage ? "team-columns" : undefined}>
              <section className="card" aria-labelledby="team-trend-heading">
                <h2 id="team-trend-heading">Performance over time</h2>
                <Suspense fallback={<Loading label="Loading the chart…" />}>
                  <TeamTrendChart team={team} />
                </Suspense>
              </section>
              {canManage && <TeamAlerts teamId={team.id} />}
            </div>

            <section className="stack" aria-labelledby="team-members-heading">
              <div className="section-head">
                <h2 id="team-members-heading">Members</h2>
                {canManage && (
                  <div className="row">
                    <AssignKpiDialog team={team} scope="member" onAssigned={onAssigned} />
                    <AssignKpiDialog team={team} scope="team" onAssigned={onAssigned} />
                  </div>
                )}
              </div>
              <TeamMembersTable team={team} canManage={canManage} onRecorded={onRecorded} />
            </section>
          </div>
        );
      }}
    </QueryState>
  );
}
