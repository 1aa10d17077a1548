import { useState } from "react";
import { useClient, useQuery, type CombinedError } from "urql";
import { graphql } from "../gql";
import type { CalculationOutcome, CreateKpiDefinitionInput } from "../gql/graphql";
import { describeError } from "../ui/errors";
import { Field } from "../ui/Field";
import { formatPeriod, formatValue } from "../ui/format";
import { AdminPeopleChoicesQuery, PeoplePicker } from "./pickers";

const AdminPreviewDefinitionMutation = graphql(`
  mutation AdminPreviewDefinition($input: CreateKpiDefinitionInput!, $userId: ID!, $periodContaining: Date) {
    previewKpiDefinition(input: $input, userId: $userId, periodContaining: $periodContaining) {
      outcome
      value
      reason
      periodStart
      periodEnd
    }
  }
`);

const OUTCOME: Record<CalculationOutcome, { label: string; icon: string; tone: string }> = {
  VALUE: { label: "Value", icon: "✓", tone: "on-target" },
  UNDEFINED: { label: "Undefined", icon: "–", tone: "no-data" },
  SKIPPED: { label: "Skipped", icon: "↷", tone: "close" },
  FAILED: { label: "Failed", icon: "✕", tone: "off-target" },
};

interface PreviewRow {
  userId: string;
  outcome?: CalculationOutcome;
  value?: number | null;
  reason?: string | null;
  period?: string;
  error?: string;
}

/**
 * What the definition in the form would give, per chosen person and period, before it is saved
 * (previewKpiDefinition stores nothing). `input` runs the form's checks and returns null when they fail.
 */
export function AdminPreview(props: {
  input: () => CreateKpiDefinitionInput | null;
  onError: (error: CombinedError | undefined) => void;
  unit: string;
}) {
  const client = useClient();
  const [people] = useQuery({ query: AdminPeopleChoicesQuery });
  const [selected, setSelected] = useState<string[]>([]);
  const [date, setDate] = useState("");
  const [rows, setRows] = useState<PreviewRow[] | null>(null);
  const [running, setRunning] = useState(false);
  const [pickError, setPickError] = useState<string | undefined>();
  const nameOf = (id: string) => people.data?.users.find((u) => u.id === id)?.name ?? `User ${id}`;

  async function preview() {
    if (selected.length === 0) {
      setPickError("Choose at least one person.");
      return;
    }
    setPickError(undefined);
    const input = props.input();
    if (!input) return;
    setRunning(true);
    props.onError(undefined);
    const results = await Promise.all(
      selected.map((userId) =>
        client
          .mutation(AdminPreviewDefinitionMutation, { input, userId, periodContaining: date || undefined })
          .toPromise()
          .then((result) => ({ userId, result })),
      ),
    );
    setRunning(false);
    const firstError = results.find((r) => r.result.error)?.result.error;
    props.onError(firstError);
    setRows(
      results.map(({ userId, result }) => {
        const p = result.data?.previewKpiDefinition;
        if (!p) return { userId, error: result.error ? describeError(result.error).message : "No answer" };
        return {
          userId,
          outcome: p.outcome,
          value: p.value,
          reason: p.reason,
          period: formatPeriod(p.periodStart, p.periodEnd),
        };
      }),
    );
  }

  return (
    <section className="card stack admin-preview" aria-labelledby="preview-title">
      <div>
        <h3 id="preview-title">Preview</h3>
        <p className="muted">Calculate the definition as it is in the form for some people, without saving anything.</p>
      </div>
      <div className="admin-preview-controls">
        <PeoplePicker legend="People to preview for" selected={selected} onChange={setSelected} error={pickError} />
        <div>
          <Field label="Period containing" hint="Optional: the latest completed period when empty.">
            <input type="date" value={date} onChange={(e) => setDate(e.target.value)} />
          </Field>
          <button type="button" className="button" onClick={() => void preview()} disabled={running}>
            {running ? "Previewing…" : "Preview"}
          </button>
        </div>
      </div>
      <div role="status" aria-live="polite">
        {rows && (
          <div className="table-scroll" role="region" aria-label="Preview results" tabIndex={0}>
            <table>
              <caption className="visually-hidden">Preview results</caption>
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="number">
                    Value
                  </th>
                  <th scope="col">Period</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.userId}>
                    <th scope="row">{nameOf(row.userId)}</th>
                    <td>
                      {row.outcome ? (
                        <span className={`badge badge-${OUTCOME[row.outcome].tone}`}>
                          <span aria-hidden="true">{OUTCOME[row.outcome].icon}</span> {OUTCOME[row.outcome].label}
                        </span>
                      ) : (
                        <span className="badge badge-off-target">
                          <span aria-hidden="true">✕</span> Refused
                        </span>
                      )}
                    </td>
                    <td className="number">{row.outcome ? formatValue(row.value, props.unit || null) : "—"}</td>
                    <td>{row.period ?? "—"}</td>
                    <td>{row.error ?? row.reason ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
