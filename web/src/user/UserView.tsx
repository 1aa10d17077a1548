import { useCallback, useEffect } from "react";
import { useParams } from "react-router";
import { useQuery } from "urql";
import { useViewer } from "../app/viewer";
import { graphql } from "../gql";
import { EmptyState, QueryState } from "../ui/QueryState";
import { KpiCard } from "./KpiCard";
import { LiveNote, useLiveMeasurements } from "./LiveUpdates";
import { OverallScoreCard } from "./OverallScoreCard";

const UserViewQuery = graphql(`
  query UserView($id: ID!) {
    user(id: $id) {
      id
      name
      ...OverallScoreCard_user
      kpis {
        id
        ...KpiCard_userKpi
      }
    }
  }
`);

/**
 * A person's KPI dashboard (the product design's UserKPIDashboard): `/me` for the signed-in person,
 * `/people/:userId` for someone they may see (their manager, an admin). The server decides who may
 * see whom: a refusal shows its message, never figures. New measurements appear as they are stored.
 */
export function UserView() {
  const viewer = useViewer();
  const params = useParams<{ userId: string }>();
  const id = params.userId ?? viewer.id;
  const self = id === viewer.id;
  const [result, reexecute] = useQuery({ query: UserViewQuery, variables: { id } });
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const user = result.data?.user;
  const note = useLiveMeasurements(user?.id, refresh);

  const title = self ? "My KPIs" : (user?.name ?? "KPIs");
  useEffect(() => {
    document.title = `${title} · KPI dashboard`;
  }, [title]);

  return (
    <section className="stack user-view" aria-labelledby="user-view-title">
      <div className="view-head">
        <h1 id="user-view-title">{title}</h1>
        <LiveNote note={note} />
      </div>
      <QueryState result={result}>
        {({ user }) =>
          !user ? (
            <EmptyState>There is no such person.</EmptyState>
          ) : (
            <>
              {self && <p className="muted view-subtitle">{user.name}</p>}
              {user.kpis.length === 0 ? (
                <EmptyState>No KPIs assigned yet</EmptyState>
              ) : (
                <>
                  <OverallScoreCard user={user} />
                  <div className="grid kpi-grid">
                    {user.kpis.map((kpi) => (
                      <KpiCard key={kpi.id} userKpi={kpi} />
                    ))}
                  </div>
                </>
              )}
            </>
          )
        }
      </QueryState>
    </section>
  );
}
