import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { AdminAlertRulesQuery as AdminAlertRulesResult, AlertKind } from "../gql/graphql";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { AdminDefinitionChoicesQuery } from "./AdminDefinitions";
import { hasUnplacedError, parseNumber, SectionHeader, StateBadge } from "./common";
import { fieldErrors } from "../ui/errors";

const AdminAlertRulesQuery = graphql(`
  query AdminAlertRules {
    alertRules {
      id
      name
      kind
      isActive
      category
      threshold
      periods
      graceDays
      kpiDefinition {
        id
        name
      }
    }
  }
`);

const AdminCreateAlertRuleMutation = graphql(`
  mutation AdminCreateAlertRule($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      id
      name
    }
  }
`);

const AdminSetAlertRuleActiveMutation = graphql(`
  mutation AdminSetAlertRuleActive($id: ID!, $isActive: Boolean!) {
    updateAlertRule(id: $id, input: { isActive: $isActive }) {
      id
      isActive
    }
  }
`);

const KIND_LABEL: Record<AlertKind, string> = {
  BELOW_TARGET: "Below target",
  MISSING_MEASUREMENT: "Missing measurement",
  SCORE_DROP: "Score drop",
};
const KIND_HINT: Record<AlertKind, string> = {
  BELOW_TARGET: "Achievement below the threshold % (default 80) for a number of completed periods in a row (default 3).",
  MISSING_MEASUREMENT: "No value for the latest period that ended at least the grace days (default 0) ago.",
  SCORE_DROP: "The overall score more than the threshold points (default 10) below the previous snapshot.",
};

type Rule = AdminAlertRulesResult["alertRules"][number];

function settingsOf(rule: Rule): string {
  const parts: string[] = [];
  if (rule.threshold !== null && rule.threshold !== undefined) parts.push(`threshold ${rule.threshold}`);
  if (rule.periods !== null && rule.periods !== undefined) parts.push(`${rule.periods} periods`);
  if (rule.graceDays !== null && rule.graceDays !== undefined) parts.push(`${rule.graceDays} grace days`);
  return parts.join(", ") || "Defaults";
}

/** What raises alerts to managers: the rules, a new one, activate or deactivate one. */
export function AdminAlertRules() {
  const [result, refetch] = useQuery({ query: AdminAlertRulesQuery });
  const [toggled, toggle] = useMutation(AdminSetAlertRuleActiveMutation);
  const columns = useMemo<Array<ColumnDef<Rule, any>>>(
    () => [
      { id: "name", header: "Name", accessorKey: "name" },
      { id: "kind", header: "Kind", accessorFn: (rule) => KIND_LABEL[rule.kind] },
      {
        id: "scope",
        header: "Scope",
        accessorFn: (rule) => rule.kpiDefinition?.name ?? (rule.category ? `Category ${rule.category}` : "All KPIs"),
      },
      { id: "settings", header: "Settings", accessorFn: settingsOf },
      {
        id: "state",
        header: "State",
        accessorFn: (rule) => (rule.isActive ? "Active" : "Inactive"),
        cell: (info) => <StateBadge active={info.row.original.isActive} off="Inactive" />,
      },
      {
        id: "actions",
        header: "Actions",
        enableSorting: false,
        cell: (info) => {
          const rule = info.row.original;
          return (
            <button
              type="button"
              className="button"
              aria-label={`${rule.isActive ? "Deactivate" : "Activate"} ${rule.name}`}
              onClick={() => void toggle({ id: rule.id, isActive: !rule.isActive })}
            >
              {rule.isActive ? "Deactivate" : "Activate"}
            </button>
          );
        },
      },
    ],
    [toggle],
  );
  return (
    <section className="stack" aria-labelledby="alert-rules-title">
      <SectionHeader title="Alert rules" id="alert-rules-title">
        <CreateAlertRule onCreated={() => refetch({ requestPolicy: "network-only" })} />
      </SectionHeader>
      {toggled.error && <ErrorNotice error={toggled.error} />}
      <QueryState result={result} isEmpty={(data) => data.alertRules.length === 0} empty="No alert rule yet.">
        {(data) => <DataTable caption="Alert rules" columns={columns} data={data.alertRules} filterLabel="Search rules" />}
      </QueryState>
    </section>
  );
}

function CreateAlertRule({ onCreated }: { onCreated: () => void }) {
  const [definitions] = useQuery({ query: AdminDefinitionChoicesQuery });
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<AlertKind>("BELOW_TARGET");
  const [scope, setScope] = useState<"all" | "category" | "kpi">("all");
  const [category, setCategory] = useState("");
  const [kpiDefinitionId, setKpiDefinitionId] = useState("");
  const [threshold, setThreshold] = useState("");
  const [periods, setPeriods] = useState("");
  const [graceDays, setGraceDays] = useState("");
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [result, create] = useMutation(AdminCreateAlertRuleMutation);
  const serverErrors = fieldErrors(result.error);
  const err = (key: string) => clientErrors[key] ?? serverErrors[key];
  const categories = [
    ...new Set((definitions.data?.kpiDefinitions ?? []).map((d) => d.category).filter((c): c is string => Boolean(c))),
  ].sort();
  const usesThreshold = kind !== "MISSING_MEASUREMENT";
  const usesPeriods = kind === "BELOW_TARGET";
  const usesGrace = kind === "MISSING_MEASUREMENT";
  const scoped = kind !== "SCORE_DROP";

  async function submit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    const t = usesThreshold ? parseNumber(threshold) : undefined;
    const p = usesPeriods ? parseNumber(periods) : undefined;
    const g = usesGrace ? parseNumber(graceDays) : undefined;
    if (!name.trim()) errors.name = "Enter a name.";
    if (t !== undefined && Number.isNaN(t)) errors.threshold = "Enter a number.";
    if (p !== undefined && (!Number.isInteger(p) || p < 1)) errors.periods = "Enter a whole number, 1 or more.";
    if (g !== undefined && (!Number.isInteger(g) || g < 0)) errors.graceDays = "Enter a whole number, 0 or more.";
    if (scoped && scope === "category" && !category) errors.category = "Choose a category.";
    if (scoped && scope === "kpi" && !kpiDefinitionId) errors.kpiDefinitionId = "Choose a KPI.";
    setClientErrors(errors);
    if (Object.keys(errors).length) return;
    const answer = await create({
      input: {
        name: name.trim(),
        kind,
        threshold: t,
        periods: p,
        graceDays: g,
        category: scoped && scope === "category" ? category : undefined,
        kpiDefinitionId: scoped && scope === "kpi" ? kpiDefinitionId : undefined,
      },
    });
    if (!answer.error) {
      setOpen(false);
      setName("");
      onCreated();
    }
  }

  const placed = new Set(
    ["name", "threshold", "periods", "graceDays", "category", "kpiDefinitionId"].filter((k) => serverErrors[k]),
  );
  return (
    <Dialog
      trigger={
        <button type="button" className="button primary">
          New alert rule
        </button>
      }
      title="New alert rule"
      open={open}
      onOpenChange={setOpen}
    >
      <form className="admin-dialog-form" onSubmit={submit} noValidate>
        <Field label="Name" error={err("name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Kind" hint={KIND_HINT[kind]}>
          <select value={kind} onChange={(e) => setKind(e.target.value as AlertKind)}>
            {(Object.keys(KIND_LABEL) as AlertKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </Field>
        {scoped && (
          <>
            <Field label="Applies to">
              <select value={scope} onChange={(e) => setScope(e.target.value as typeof scope)}>
                <option value="all">All KPIs</option>
                <option value="category">The KPIs of a category</option>
                <option value="kpi">One KPI</option>
              </select>
            </Field>
            {scope === "category" && (
              <Field label="Category" error={err("category")}>
                <select value={category} onChange={(e) => setCategory(e.target.value)}>
                  <option value="">Choose a category…</option>
                  {categories.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              </Field>
            )}
            {scope === "kpi" && (
              <Field label="KPI" error={err("kpiDefinitionId")}>
                <select value={kpiDefinitionId} onChange={(e) => setKpiDefinitionId(e.target.value)}>
                  <option value="">Choose a KPI…</option>
                  {(definitions.data?.kpiDefinitions ?? [])
                    .filter((d) => d.isActive)
                    .map((d) => (
                      <option key={d.id} value={d.id}>
                        {d.name}
                      </option>
                    ))}
                </select>
              </Field>
            )}
          </>
        )}
        {usesThreshold && (
          <Field
            label={kind === "SCORE_DROP" ? "Threshold (points)" : "Threshold (%)"}
            hint="Optional: the default when empty."
            error={err("threshold")}
          >
            <input inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
          </Field>
        )}
        {usesPeriods && (
          <Field label="Periods in a row" hint="Optional: the default when empty." error={err("periods")}>
            <input inputMode="numeric" value={periods} onChange={(e) => setPeriods(e.target.value)} />
          </Field>
        )}
        {usesGrace && (
          <Field label="Grace days" hint="Optional: the default when empty." error={err("graceDays")}>
            <input inputMode="numeric" value={graceDays} onChange={(e) => setGraceDays(e.target.value)} />
          </Field>
        )}
        {result.error && hasUnplacedError(result.error, placed) && <ErrorNotice error={result.error} />}
        <button type="submit" className="button primary" disabled={result.fetching}>
          Create rule
        </button>
      </form>
    </Dialog>
  );
}
