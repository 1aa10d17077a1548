import { useCallback, useEffect } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { useViewer } from "../app/viewer";
import { graphql } from "../gql";
import { EmptyState, QueryState } from "../ui/QueryState";
import { KpiComparison } from "./KpiComparison";
import { KpiHistory } from "./KpiHistory";
import { KpiLatest } from "./KpiLatest";
import { KpiSource } from "./KpiSource";
import { LiveNote, useLiveMeasurements } from "./LiveUpdates";

const KpiDetailQuery = graphql(`
  query KpiDetail($id: ID!) {
    userKpi(id: $id) {
      id
      user {
        id
        name
      }
      kpiDefinition {
        id
        name
      }
      ...KpiLatest_userKpi
      ...KpiHistory_userKpi
      ...KpiComparison_userKpi
      ...KpiSource_userKpi
    }
  }
`);

/** One assigned KPI in full: latest value, history (chart and table with notes), comparison and source. */
export function KpiDetailPage() {
  const viewer = useViewer();
  const { userKpiId = "" } = useParams<{ userKpiId: string }>();
  const [result, reexecute] = useQuery({ query: KpiDetailQuery, variables: { id: userKpiId } });
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  const userKpi = result.data?.userKpi;
  const note = useLiveMeasurements(userKpi?.user.id, refresh);

  const name = userKpi?.kpiDefinition.name;
  const person = userKpi?.user.name;
  useEffect(() => {
    document.title = `${name ? `${name} · ${person}` : "KPI"} · KPI dashboard`;
  }, [name, person]);

  const self = userKpi?.user.id === viewer.id;
  return (
    <section className="stack kpi-detail" aria-labelledby="kpi-detail-title">
      {userKpi && (
        <p className="back-link">
          <Link to={self ? "/me" : `/people/${userKpi.user.id}`}>
            <span aria-hidden="true">← </span>
            {self ? "My KPIs" : `${userKpi.user.name}'s KPIs`}
          </Link>
        </p>
      )}
      <div className="view-head">
        <h1 id="kpi-detail-title">
          {name ?? "KPI"}
          {person && <span className="title-person"> · {person}</span>}
        </h1>
        <LiveNote note={note} />
      </div>
      <QueryState result={result}>
        {({ userKpi }) =>
          !userKpi ? (
            <EmptyState>There is no such KPI assignment.</EmptyState>
          ) : (
            <>
              <div className="detail-top">
                <KpiLatest userKpi={userKpi} />
                <KpiSource userKpi={userKpi} />
              </div>
              <KpiHistory userKpi={userKpi} />
              <KpiComparison userKpi={userKpi} />
            </>
          )
        }
      </QueryState>
    </section>
  );
}
