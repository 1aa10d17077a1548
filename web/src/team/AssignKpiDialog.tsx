import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { formatDate } from "../ui/format";
import { ErrorNotice, Loading } from "../ui/QueryState";
import { fieldErrors } from "../ui/errors";
import { today } from "./periods";

const TeamAssignFragment = graphql(`
  fragment TeamAssign_team on Team {
    id
    name
    members {
      user {
        id
        name
      }
    }
  }
`);

const TeamKpiDefinitionsQuery = graphql(`
  query TeamKpiDefinitions {
    kpiDefinitions(filter: { isActive: true }) {
      id
      name
      unit
      category
    }
  }
`);

const TeamAssignKpiMutation = graphql(`
  mutation TeamAssignKpi($userId: ID!, $input: AssignKpiInput!) {
    assignKpi(userId: $userId, input: $input) {
      id
      startDate
      kpiDefinition {
        id
        name
      }
      user {
        id
        name
      }
    }
  }
`);

const TeamBulkAssignKpiMutation = graphql(`
  mutation TeamBulkAssignKpi($input: BulkAssignKpiInput!) {
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

/** The outcome of an assignment, as the team page reports it. */
export interface AssignOutcome {
  summary: string;
  created: string[];
  existing: string[];
}

/**
 * Assigns a KPI definition to one member (assignKpi) or to every current member of the team
 * (bulkAssignKpi with the team): the definition, its target, weight and first day.
 */
export function AssignKpiDialog(props: {
  team: FragmentType<typeof TeamAssignFragment>;
  scope: "member" | "team";
  onAssigned: (outcome: AssignOutcome) => void;
}) {
  const team = getFragmentData(TeamAssignFragment, props.team);
  const [open, setOpen] = useState(false);
  const label = props.scope === "team" ? "Assign a KPI to the whole team" : "Assign a KPI to a member";
  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
      title={label}
      description={
        props.scope === "team"
          ? `Every current member of ${team.name} gets the KPI; members who already have it from the same day keep theirs.`
          : undefined
      }
      trigger={
        <button type="button" className="button">
          {label}
        </button>
      }
    >
      {open && (
        <AssignForm
          teamId={team.id}
          members={team.members.map((member) => member.user)}
          scope={props.scope}
          onCancel={() => setOpen(false)}
          onAssigned={(outcome) => {
            setOpen(false);
            props.onAssigned(outcome);
          }}
        />
      )}
    </Dialog>
  );
}

function AssignForm(props: {
  teamId: string;
  members: Array<{ id: string; name: string }>;
  scope: "member" | "team";
  onCancel: () => void;
  onAssigned: (outcome: AssignOutcome) => void;
}) {
  const [definitions] = useQuery({ query: TeamKpiDefinitionsQuery });
  const [single, assign] = useMutation(TeamAssignKpiMutation);
  const [bulk, bulkAssign] = useMutation(TeamBulkAssignKpiMutation);
  const [userId, setUserId] = useState("");
  const [definitionId, setDefinitionId] = useState("");
  const [target, setTarget] = useState("");
  const [weight, setWeight] = useState("20");
  const [startDate, setStartDate] = useState(today());
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});

  const result = props.scope === "team" ? bulk : single;
  const serverErrors = fieldErrors(result.error);
  const shown = new Set(["userId", "kpiDefinitionId", "targetValue", "weight", "startDate"]);
  const otherError = result.error && !Object.keys(serverErrors).some((field) => shown.has(field)) ? result.error : undefined;
  const error = (field: string) => clientErrors[field] ?? serverErrors[field];

  const categories = new Map<string, Array<{ id: string; name: string; unit?: string | null }>>();
  for (const definition of definitions.data?.kpiDefinitions ?? []) {
    const category = definition.category ?? "Other";
    categories.set(category, [...(categories.get(category) ?? []), definition]);
  }
  const chosen = definitions.data?.kpiDefinitions.find((definition) => definition.id === definitionId);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    if (props.scope === "member" && !userId) errors.userId = "Choose a member.";
    if (!definitionId) errors.kpiDefinitionId = "Choose a KPI.";
    const targetValue = target.trim() === "" ? NaN : Number(target);
    if (!Number.isFinite(targetValue)) errors.targetValue = "Enter a number.";
    const weightValue = weight.trim() === "" ? NaN : Number(weight);
    if (!Number.isFinite(weightValue) || weightValue < 0 || weightValue > 100) errors.weight = "Enter a number from 0 to 100.";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(startDate)) errors.startDate = "Enter a date.";
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) return;

    const input = { kpiDefinitionId: definitionId, targetValue, weight: weightValue, startDate };
    const name = chosen?.name ?? "The KPI";
    if (props.scope === "team") {
      const outcome = await bulkAssign({ input: { ...input, teamId: props.teamId } });
      const assigned = outcome.data?.bulkAssignKpi;
      if (assigned) {
        props.onAssigned({
          summary: `${name} from ${formatDate(startDate)}: ${assigned.created.length} created, ${assigned.existing.length} already there.`,
          created: assigned.created.map((kpi) => kpi.user.name),
          existing: assigned.existing.map((kpi) => kpi.user.name),
        });
      }
    } else {
      const outcome = await assign({ userId, input });
      const assigned = outcome.data?.assignKpi;
      if (assigned) {
        props.onAssigned({
          summary: `${assigned.kpiDefinition.name} assigned to ${assigned.user.name} from ${formatDate(assigned.startDate)}.`,
          created: [assigned.user.name],
          existing: [],
        });
      }
    }
  }

  if (definitions.error && !definitions.data) return <ErrorNotice error={definitions.error} />;
  if (!definitions.data) return <Loading label="Loading KPI definitions…" />;

  return (
    <form onSubmit={submit} noValidate className="dialog-form">
      {props.scope === "member" && (
        <Field label="Member" error={error("userId")}>
          <select value={userId} onChange={(event) => setUserId(event.target.value)} required>
            <option value="">Choose a member</option>
            {props.members.map((member) => (
              <option key={member.id} value={member.id}>
                {member.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field label="KPI" error={error("kpiDefinitionId")}>
        <select value={definitionId} onChange={(event) => setDefinitionId(event.target.value)} required>
          <option value="">Choose a KPI</option>
          {[...categories].map(([category, list]) => (
            <optgroup key={category} label={category}>
              {list.map((definition) => (
                <option key={definition.id} value={definition.id}>
                  {definition.name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </Field>
      <Field label="Target" hint={chosen?.unit ? `In ${chosen.unit}.` : undefined} error={error("targetValue")}>
        <input
          type="number"
          inputMode="decimal"
          step="any"
          required
          value={target}
          onChange={(event) => setTarget(event.target.value)}
        />
      </Field>
      <Field label="Weight" hint="Importance in the overall score, 0 to 100." error={error("weight")}>
        <input
          type="number"
          inputMode="decimal"
          step="any"
          min={0}
          max={100}
          required
          value={weight}
          onChange={(event) => setWeight(event.target.value)}
        />
      </Field>
      <Field label="Start date" error={error("startDate")}>
        <input type="date" required value={startDate} onChange={(event) => setStartDate(event.target.value)} />
      </Field>
      {otherError && <ErrorNotice error={otherError} />}
      <div className="row dialog-actions">
        <button type="submit" className="button primary" disabled={result.fetching}>
          {result.fetching ? "Assigning…" : props.scope === "team" ? "Assign to everyone" : "Assign"}
        </button>
        <button type="button" className="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
