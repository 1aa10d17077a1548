import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import type { TeamAlertItem_AlertFragment } from "../gql/graphql";
import { formatDateTime } from "../ui/format";
import { EmptyState, ErrorNotice, QueryState } from "../ui/QueryState";

const TeamAlertItemFragment = graphql(`
  fragment TeamAlertItem_alert on Alert {
    id
    message
    raisedAt
    user {
      id
      name
    }
  }
`);

const TeamAlertsQuery = graphql(`
  query TeamAlerts($teamId: ID!) {
    alerts(teamId: $teamId, status: OPEN) {
      id
      ...TeamAlertItem_alert
    }
  }
`);

const TeamAlertRaisedSubscription = graphql(`
  subscription TeamAlertRaised($teamId: ID!) {
    alertRaised(teamId: $teamId) {
      id
      ...TeamAlertItem_alert
    }
  }
`);

const TeamAcknowledgeAlertMutation = graphql(`
  mutation TeamAcknowledgeAlert($id: ID!) {
    acknowledgeAlert(id: $id) {
      id
    }
  }
`);

type AlertItem = FragmentType<typeof TeamAlertItemFragment> & { id: string };

/**
 * The team's open alerts, newest first, each with "Acknowledge". Alerts raised while the page is
 * open arrive over the alertRaised subscription and are announced to screen readers.
 */
export function TeamAlerts(props: { teamId: string }) {
  const variables = { teamId: props.teamId };
  const [result, refetch] = useQuery({ query: TeamAlertsQuery, variables });
  // Alerts heard of since the page opened, newest first.
  const [live] = useSubscription({ query: TeamAlertRaisedSubscription, variables }, (previous: AlertItem[] = [], data) => [
    data.alertRaised,
    ...previous.filter((alert) => alert.id !== data.alertRaised.id),
  ]);
  const [acknowledged, setAcknowledged] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState("");
  const [lastLive, setLastLive] = useState<string | null>(null);

  const liveAlerts = live.data ?? [];
  const newest = liveAlerts[0];
  if (newest && newest.id !== lastLive) {
    // A new arrival: say so once (adjusting state while rendering, as React recommends over an effect).
    setLastLive(newest.id);
    const alert = getFragmentData(TeamAlertItemFragment, newest);
    setAnnouncement(`New alert for ${alert.user.name}: ${alert.message}`);
  }

  const onAcknowledged = (id: string, message: string) => {
    setAcknowledged((previous) => new Set(previous).add(id));
    setAnnouncement(message);
    refetch({ requestPolicy: "network-only" });
  };

  return (
    <section className="card stack" aria-labelledby="team-alerts-heading">
      <h2 id="team-alerts-heading">Open alerts</h2>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {live.error && <ErrorNotice error={live.error} />}
      <QueryState result={result}>
        {(data) => {
          const fetched = new Set(data.alerts.map((alert) => alert.id));
          const liveIds = new Set(liveAlerts.map((alert) => alert.id));
          const alerts = [...liveAlerts.filter((alert) => !fetched.has(alert.id)), ...data.alerts].filter(
            (alert) => !acknowledged.has(alert.id),
          );
          if (alerts.length === 0) return <EmptyState>No open alerts.</EmptyState>;
          return (
            // The list scrolls in its box when long: focusable, so that a keyboard can scroll it too.
            <ul className="alert-list" aria-label="Open alerts" tabIndex={0}>
              {alerts.map((alert) => (
                <AlertEntry key={alert.id} alert={alert} isNew={liveIds.has(alert.id)} onAcknowledged={onAcknowledged} />
              ))}
            </ul>
          );
        }}
      </QueryState>
    </section>
  );
}

function AlertEntry(props: { alert: AlertItem; isNew: boolean; onAcknowledged: (id: string, message: string) => void }) {
  const alert: TeamAlertItem_AlertFragment = getFragmentData(TeamAlertItemFragment, props.alert);
  const [result, acknowledge] = useMutation(TeamAcknowledgeAlertMutation);

  async function onClick() {
    const outcome = await acknowledge({ id: alert.id });
    if (outcome.data) props.onAcknowledged(alert.id, `Alert for ${alert.user.name} acknowledged.`);
  }

  return (
    <li className="alert-item">
      <div className="alert-text">
        <p>
          {props.isNew && <span className="tag">New</span>} <Link to={`/people/${alert.user.id}`}>{alert.user.name}</Link>:{" "}
          {alert.message}
        </p>
        <p className="muted small">Raised {formatDateTime(alert.raisedAt)}</p>
        {result.error && <ErrorNotice error={result.error} />}
      </div>
      <button
        type="button"
        className="button"
        onClick={onClick}
        disabled={result.fetching}
        aria-label={`Acknowledge alert for ${alert.user.name}: ${alert.message}`}
      >
        {result.fetching ? "Acknowledging…" : "Acknowledge"}
      </button>
    </li>
  );
}
