import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { Field } from "../ui/Field";
import { formatDateTime, formatPeriod } from "../ui/format";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { AdminDefinitionChoicesQuery } from "./AdminDefinitions";
import { isFinished, RunStatusBadge } from "./common";
import { AdminPeopleChoicesQuery, AdminTeamChoicesQuery } from "./pickers";
import { AdminRunHealth } from "./AdminRunHealth";

const AdminRunFieldsFragment = graphql(`
  fragment AdminRunFields on CalculationRun {
    id
    status
    trigger
    periodStart
    periodEnd
    createdAt
    startedAt
    finishedAt
    batches
    succeeded
    failed
    skipped
    undefinedCount
  }
`);

const AdminCalculationRunQuery = graphql(`
  query AdminCalculationRun($id: ID!) {
    calculationRun(id: $id) {
      id
      ...AdminRunFields
      errors
    }
  }
`);

const AdminCalculationRunsQuery = graphql(`
  query AdminCalculationRuns {
    calculationRuns(limit: 20) {
      id
      ...AdminRunFields
    }
  }
`);

const AdminCalculateMutation = graphql(`
  mutation AdminCalculate($input: CalculateInput!) {
    calculateKpis(input: $input) {
      id
      status
    }
  }
`);

/** Calculation runs: start one, watch it to the end, read its errors; the recent runs; the health summary. */
export function AdminRuns() {
  const [params, setParams] = useSearchParams();
  const runId = params.get("run");
  const watch = (id: string) => setParams({ run: id });
  // Each run that ends (or starts) asks the list and the health summary again.
  const [version, setVersion] = useState(0);
  const changed = useCallback(() => setVersion((v) => v + 1), []);
  return (
    <div className="stack">
      <StartRun
        onStarted={(id) => {
          watch(id);
          changed();
        }}
      />
      {runId && <RunProgress key={runId} id={runId} onFinished={changed} />}
      <RecentRuns onOpen={watch} version={version} />
      <AdminRunHealth version={version} />
    </div>
  );
}

function StartRun({ onStarted }: { onStarted: (id: string) => void }) {
  const [teams] = useQuery({ query: AdminTeamChoicesQuery });
  const [definitions] = useQuery({ query: AdminDefinitionChoicesQuery });
  const [date, setDate] = useState("");
  const [teamId, setTeamId] = useState("");
  const [definitionId, setDefinitionId] = useState("");
  const [result, calculate] = useMutation(AdminCalculateMutation);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await calculate({
      input: { periodContaining: date || undefined, teamId: teamId || undefined, kpiDefinitionId: definitionId || undefined },
    });
    const id = answer.data?.calculateKpis.id;
    if (id) onStarted(id);
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="start-run-title">
      <h2 id="start-run-title">Start a calculation run</h2>
      <div className="admin-grid">
        <Field label="Period containing" hint="Any day of the period; empty: the latest completed period.">
          <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
        </Field>
        <Field label="Team" hint="Optional">
          <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
            <option value="">All teams</option>
            {(teams.data?.teams ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="KPI" hint="Optional">
          <select value={definitionId} onChange={(e) => setDefinitionId(e.target.value)}>
            <option value="">All calculated KPIs</option>
            {(definitions.data?.kpiDefinitions ?? [])
              .filter((d) => d.isActive && d.calculationType !== "MANUAL")
              .map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
          </select>
        </Field>
      </div>
      {result.error && <ErrorNotice error={result.error} />}
      <div>
        <button type="submit" className="button primary" disabled={result.fetching}>
          {result.fetching ? "Starting…" : "Start run"}
        </button>
      </div>
    </form>
  );
}

interface RunError {
  userId?: unknown;
  userKpiId?: unknown;
  kpiDefinitionId?: unknown;
  outcome?: unknown;
  message?: unknown;
}

/** One run, asked for every second (network-only) until it has finished. */
function RunProgress({ id, onFinished }: { id: string; onFinished: () => void }) {
  const [result, reexecute] = useQuery({ query: AdminCalculationRunQuery, variables: { id }, requestPolicy: "network-only" });
  const run = result.data?.calculationRun;
  const fields = run ? getFragmentData(AdminRunFieldsFragment, run) : undefined;
  const running = fields ? !isFinished(fields.status) : false;
  useEffect(() => {
    if (!running || result.fetching) return;
    const timer = setTimeout(() => reexecute({ requestPolicy: "network-only" }), 1000);
    return () => clearTimeout(timer);
  }, [running, result.fetching, result.data, reexecute]);
  const seenRunning = useRef(false);
  useEffect(() => {
    if (running) seenRunning.current = true;
    else if (fields && seenRunning.current) {
      seenRunning.current = false;
      onFinished();
    }
  }, [running, fields, onFinished]);

  return (
    <section className="card stack" aria-labelledby="run-title">
      <h2 id="run-title">Run {id}</h2>
      <QueryState result={result}>
        {(data) =>
          !data.calculationRun || !fields ? (
            <p className="notice notice-error" role="alert">
              There is no run {id}.
            </p>
          ) : (
            <>
              <div role="status" aria-live="polite" className="row">
                <span>Status:</span> <RunStatusBadge status={fields.status} />
                {running && <span className="muted">Checking every second…</span>}
              </div>
              <RunFigures run={fields} />
              <RunErrors errors={data.calculationRun.errors} />
            </>
          )
        }
      </QueryState>
    </section>
  );
}

function RunFigures({
  run,
}: {
  run: {
    succeeded: number;
    failed: number;
    skipped: number;
    undefinedCount: number;
    batches: number;
    periodStart?: string | null;
    periodEnd?: string | null;
    trigger: string;
    startedAt?: string | null;
    finishedAt?: string | null;
  };
}) {
  return (
    <>
      <dl className="admin-stats">
        <div>
          <dt>Succeeded</dt>
          <dd>{run.succeeded}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{run.failed}</dd>
        </div>
        <div>
          <dt>Skipped</dt>
          <dd>{run.skipped}</dd>
        </div>
        <div>
          <dt>Undefined</dt>
          <dd>{run.undefinedCount}</dd>
        </div>
        <div>
          <dt>Batches</dt>
          <dd>{run.batches}</dd>
        </div>
      </dl>
      <p className="muted">
        {run.periodStart && run.periodEnd ? `Period ${formatPeriod(run.periodStart, run.periodEnd)} · ` : ""}
        Trigger {run.trigger} · started {formatDateTime(run.startedAt)} · finished {formatDateTime(run.finishedAt)}
      </p>
    </>
  );
}

const ERROR_OUTCOME: Record<string, string> = { FAILED: "✕ Failed", SKIPPED: "↷ Skipped", UNDEFINED: "– Undefined" };

function RunErrors({ errors }: { errors: unknown }) {
  const [people] = useQuery({ query: AdminPeopleChoicesQuery });
  const [definitions] = useQuery({ query: AdminDefinitionChoicesQuery });
  const rows = useMemo(() => (Array.isArray(errors) ? (errors as RunError[]) : []), [errors]);
  const columns = useMemo<Array<ColumnDef<RunError, any>>>(() => {
    const person = (id: unknown) => people.data?.users.find((u) => u.id === String(id))?.name ?? `User ${String(id)}`;
    const kpi = (id: unknown) => definitions.data?.kpiDefinitions.find((d) => d.id === String(id))?.name ?? `KPI ${String(id)}`;
    return [
      { id: "person", header: "Person", accessorFn: (row) => person(row.userId) },
      { id: "kpi", header: "KPI", accessorFn: (row) => kpi(row.kpiDefinitionId) },
      {
        id: "outcome",
        header: "Outcome",
        accessorFn: (row) => {
          const outcome = String(row.outcome ?? "").toUpperCase();
          return ERROR_OUTCOME[outcome] ?? outcome;
        },
      },
      { id: "message", header: "Message", accessorFn: (row) => String(row.message ?? "") },
    ];
  }, [people.data, definitions.data]);
  if (rows.length === 0) return <p className="muted">No per-person errors.</p>;
  return <DataTable caption="Per-person errors" columns={columns} data={rows} filterLabel="Search errors" />;
}

type RunRow = FragmentType<typeof AdminRunFieldsFragment>;

function RecentRuns({ onOpen, version }: { onOpen: (id: string) => void; version: number }) {
  const [result, reexecute] = useQuery({ query: AdminCalculationRunsQuery, requestPolicy: "cache-and-network" });
  useEffect(() => {
    if (version > 0) reexecute({ requestPolicy: "network-only" });
  }, [version, reexecute]);
  const columns = useMemo<Array<ColumnDef<RunRow, any>>>(
    () => [
      {
        id: "requested",
        header: "Requested",
        accessorFn: (row) => getFragmentData(AdminRunFieldsFragment, row).createdAt ?? "",
        cell: (info) => formatDateTime(info.getValue() as string),
      },
      { id: "trigger", header: "Trigger", accessorFn: (row) => getFragmentData(AdminRunFieldsFragment, row).trigger },
      {
        id: "period",
        header: "Period",
        accessorFn: (row) => {
          const run = getFragmentData(AdminRunFieldsFragment, row);
          return run.periodStart && run.periodEnd ? formatPeriod(run.periodStart, run.periodEnd) : "Several";
        },
      },
      {
        id: "status",
        header: "Status",
        accessorFn: (row) => getFragmentData(AdminRunFieldsFragment, row).status,
        cell: (info) => <RunStatusBadge status={getFragmentData(AdminRunFieldsFragment, info.row.original).status} />,
      },
      {
        id: "succeeded",
        header: "Succeeded",
        meta: { numeric: true },
        accessorFn: (row) => getFragmentData(AdminRunFieldsFragment, row).succeeded,
      },
      {
        id: "failed",
        header: "Failed",
        meta: { numeric: true },
        accessorFn: (row) => getFragmentData(AdminRunFieldsFragment, row).failed,
      },
      {
        id: "skipped",
        header: "Skipped",
        meta: { numeric: true },
        accessorFn: (row) => getFragmentData(AdminRunFieldsFragment, row).skipped,
      },
      {
        id: "open",
        header: "Details",
        enableSorting: false,
        cell: (info) => {
          const run = getFragmentData(AdminRunFieldsFragment, info.row.original);
          return (
            <button type="button" className="button" onClick={() => onOpen(run.id)} aria-label={`Show run ${run.id}`}>
              Show
            </button>
          );
        },
      },
    ],
    [onOpen],
  );
  return (
    <section className="stack" aria-labelledby="recent-runs-title">
      <h2 id="recent-runs-title">Recent runs</h2>
      <QueryState result={result} isEmpty={(data) => data.calculationRuns.length === 0} empty="No run yet.">
        {(data) => (
          <DataTable
            caption="Recent runs"
            columns={columns}
            data={data.calculationRuns}
            initialSorting={[{ id: "requested", desc: true }]}
          />
        )}
      </QueryState>
    </section>
  );
}
