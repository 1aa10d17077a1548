import { useEffect } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { formatDateTime, formatNumber, formatPercent } from "../ui/format";
import { QueryState } from "../ui/QueryState";
import { PERIOD_LABEL, RunStatusBadge } from "./common";

const AdminCalculationHealthQuery = graphql(`
  query AdminCalculationHealth {
    calculationHealth {
      unfinishedRuns
      oldestUnfinishedRunAt
      lastDay {
        runs
        failedRuns
        partialRuns
        succeeded
        failed
        skipped
        undefinedCount
        failureRate
      }
      schedules {
        aggregationPeriod
        lastRun {
          id
          status
          finishedAt
          createdAt
        }
      }
      jobQueue {
        queued
        running
      }
    }
  }
`);

/** The calculation health summary: unfinished runs, the last day's totals, the schedules' last runs, the job queue. */
export function AdminRunHealth({ version }: { version: number }) {
  const [result, reexecute] = useQuery({ query: AdminCalculationHealthQuery, requestPolicy: "cache-and-network" });
  useEffect(() => {
    if (version > 0) reexecute({ requestPolicy: "network-only" });
  }, [version, reexecute]);
  return (
    <section className="card stack" aria-labelledby="health-title">
      <h2 id="health-title">Calculation health</h2>
      <QueryState result={result}>
        {({ calculationHealth: health }) => (
          <>
            <dl className="admin-stats">
              <div>
                <dt>Unfinished runs</dt>
                <dd>{health.unfinishedRuns}</dd>
              </div>
              <div>
                <dt>Runs in the last day</dt>
                <dd>{health.lastDay.runs}</dd>
              </div>
              <div>
                <dt>Failed / partial runs</dt>
                <dd>
                  {health.lastDay.failedRuns} / {health.lastDay.partialRuns}
                </dd>
              </div>
              <div>
                <dt>Failure rate</dt>
                <dd>
                  {health.lastDay.failureRate === null || health.lastDay.failureRate === undefined
                    ? "—"
                    : formatPercent(health.lastDay.failureRate * 100)}
                </dd>
              </div>
              <div>
                <dt>Jobs queued / running</dt>
                <dd>
                  {health.jobQueue.queued} / {health.jobQueue.running}
                </dd>
              </div>
            </dl>
            <p className="muted">
              Last day: {formatNumber(health.lastDay.succeeded)} succeeded, {formatNumber(health.lastDay.failed)} failed,{" "}
              {formatNumber(health.lastDay.skipped)} skipped, {formatNumber(health.lastDay.undefinedCount)} undefined.
              {health.oldestUnfinishedRunAt &&
                ` Oldest unfinished run requested ${formatDateTime(health.oldestUnfinishedRunAt)}.`}
            </p>
            <div className="table-scroll" role="region" aria-label="Schedules" tabIndex={0}>
              <table>
                <caption className="visually-hidden">Schedules' last runs</caption>
                <thead>
                  <tr>
                    <th scope="col">Schedule</th>
                    <th scope="col">Last run</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {health.schedules.map((s) => (
                    <tr key={s.aggregationPeriod}>
                      <th scope="row">{PERIOD_LABEL[s.aggregationPeriod]}</th>
                      <td>{s.lastRun ? formatDateTime(s.lastRun.finishedAt ?? s.lastRun.createdAt) : "Not run yet"}</td>
                      <td>{s.lastRun ? <RunStatusBadge status={s.lastRun.status} /> : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryState>
    </section>
  );
}
