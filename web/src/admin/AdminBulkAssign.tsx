import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { ErrorNotice } from "../ui/QueryState";
import { AdminDefinitionChoicesQuery } from "./AdminDefinitions";
import { firstOfMonth, hasUnplacedError, parseNumber } from "./common";
import { fieldErrors } from "../ui/errors";
import { AdminTeamChoicesQuery, PeoplePicker } from "./pickers";

const AdminBulkAssignMutation = graphql(`
  mutation AdminBulkAssign($input: BulkAssignKpiInput!) {
    bulkAssignKpi(input: $input) {
      created {
        id
        user {
          id
          name
        }
      }
      existing {
        id
        user {
          id
          name
        }
      }
    }
  }
`);

const PLACED = new Set(["kpiDefinitionId", "teamId", "userIds", "targetValue", "weight", "startDate", "endDate"]);

/** Assigns one KPI to a team or to chosen people at once, and says who got it and who already had it. */
export function AdminBulkAssign() {
  const [open, setOpen] = useState(false);
  return (
    <Dialog
      trigger={
        <button type="button" className="button">
          Bulk assign KPIs
        </button>
      }
      title="Bulk assign a KPI"
      description="Assign one KPI to a whole team or to chosen people. People who already have it from the same start date keep theirs."
      open={open}
      onOpenChange={setOpen}
    >
      <BulkAssignForm />
    </Dialog>
  );
}

function BulkAssignForm() {
  const [definitions] = useQuery({ query: AdminDefinitionChoicesQuery });
  const [teams] = useQuery({ query: AdminTeamChoicesQuery });
  const [definitionId, setDefinitionId] = useState("");
  const [to, setTo] = useState<"team" | "people">("team");
  const [teamId, setTeamId] = useState("");
  const [userIds, setUserIds] = useState<string[]>([]);
  const [target, setTarget] = useState("");
  const [weight, setWeight] = useState("");
  const [startDate, setStartDate] = useState(firstOfMonth());
  const [endDate, setEndDate] = useState("");
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [result, assign] = useMutation(AdminBulkAssignMutation);
  const serverErrors = fieldErrors(result.error);
  const err = (key: string) => clientErrors[key] ?? serverErrors[key];

  async function submit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    const targetValue = parseNumber(target);
    const weightValue = parseNumber(weight);
    if (!definitionId) errors.kpiDefinitionId = "Choose a KPI.";
    if (to === "team" && !teamId) errors.teamId = "Choose a team.";
    if (to === "people" && userIds.length === 0) errors.userIds = "Choose at least one person.";
    if (targetValue === undefined || Number.isNaN(targetValue)) errors.targetValue = "Enter the target, a number.";
    if (weightValue === undefined || Number.isNaN(weightValue) || weightValue < 0 || weightValue > 100)
      errors.weight = "Enter a weight from 0 to 100.";
    if (!startDate) errors.startDate = "Enter the first day.";
    if (endDate && startDate && endDate < startDate) errors.endDate = "The last day must not be before the first.";
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) return;
    await assign({
      input: {
        kpiDefinitionId: definitionId,
        ...(to === "team" ? { teamId } : { userIds }),
        targetValue: targetValue!,
        weight: weightValue!,
        startDate,
        endDate: endDate || undefined,
      },
    });
  }

  const summary = result.data?.bulkAssignKpi;
  const activeDefinitions = (definitions.data?.kpiDefinitions ?? []).filter((d) => d.isActive);
  return (
    <form className="stack admin-dialog-form" onSubmit={submit} noValidate>
      <Field label="KPI" error={err("kpiDefinitionId")}>
        <select value={definitionId} onChange={(e) => setDefinitionId(e.target.value)}>
          <option value="">Choose a KPI…</option>
          {activeDefinitions.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </Field>
      <fieldset className="admin-fieldset">
        <legend>Assign to</legend>
        <div className="row">
          <label className="admin-choice">
            <input type="radio" name="assign-to" checked={to === "team"} onChange={() => setTo("team")} /> A team
          </label>
          <label className="admin-choice">
            <input type="radio" name="assign-to" checked={to === "people"} onChange={() => setTo("people")} /> Chosen people
          </label>
        </div>
      </fieldset>
      {to === "team" ? (
        <Field label="Team" hint="Every current member of the team." error={err("teamId")}>
          <select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
            <option value="">Choose a team…</option>
            {(teams.data?.teams ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <PeoplePicker legend="People" selected={userIds} onChange={setUserIds} error={err("userIds")} />
      )}
      <div className="admin-grid">
        <Field label="Target" error={err("targetValue")}>
          <input inputMode="decimal" value={target} onChange={(e) => setTarget(e.target.value)} />
        </Field>
        <Field label="Weight" hint="Importance, 0 to 100." error={err("weight")}>
          <input inputMode="decimal" value={weight} onChange={(e) => setWeight(e.target.value)} />
        </Field>
        <Field label="Start date" error={err("startDate")}>
          <input type="date" value={startDate} onChange={(e) => setStartDate(e.target.value)} />
        </Field>
        <Field label="End date" hint="Optional: empty for an ongoing assignment." error={err("endDate")}>
          <input type="date" value={endDate} onChange={(e) => setEndDate(e.target.value)} />
        </Field>
      </div>
      {result.error && hasUnplacedError(result.error, new Set(Object.keys(serverErrors).filter((k) => PLACED.has(k)))) && (
        <ErrorNotice error={result.error} />
      )}
      <div role="status" aria-live="polite">
        {summary && (
          <div className="notice">
            <strong>
              {summary.created.length} created, {summary.existing.length} already there
            </strong>
            {summary.created.length > 0 && <p>Created for: {summary.created.map((k) => k.user.name).join(", ")}</p>}
            {summary.existing.length > 0 && <p>Already there: {summary.existing.map((k) => k.user.name).join(", ")}</p>}
          </div>
        )}
      </div>
      <div>
        <button type="submit" className="button primary" disabled={result.fetching}>
          {result.fetching ? "Assigning…" : "Assign"}
        </button>
      </div>
    </form>
  );
}
