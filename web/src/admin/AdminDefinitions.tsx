import { useMemo, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import type { CalculationType } from "../gql/graphql";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { Field } from "../ui/Field";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { AdminBulkAssign } from "./AdminBulkAssign";
import { PERIOD_LABEL, SectionHeader, StateBadge, TARGET_LABEL, TYPE_LABEL, TYPES } from "./common";

const AdminDefinitionRowFragment = graphql(`
  fragment AdminDefinitionRow on KpiDefinition {
    id
    name
    category
    calculationType
    unit
    aggregationPeriod
    targetType
    isActive
  }
`);

const AdminDefinitionsQuery = graphql(`
  query AdminDefinitions($filter: KpiDefinitionFilter) {
    kpiDefinitions(filter: $filter) {
      id
      ...AdminDefinitionRow
    }
  }
`);

/** Every definition, for the category filter and the pickers (formula inputs, bulk assign, runs). */
export const AdminDefinitionChoicesQuery = graphql(`
  query AdminDefinitionChoices {
    kpiDefinitions {
      id
      name
      category
      calculationType
      isActive
    }
  }
`);

const AdminSetDefinitionActiveMutation = graphql(`
  mutation AdminSetDefinitionActive($id: ID!, $isActive: Boolean!) {
    updateKpiDefinition(id: $id, input: { isActive: $isActive }) {
      id
      isActive
    }
  }
`);

type Row = FragmentType<typeof AdminDefinitionRowFragment>;

/** The KPI definitions: filter by category, type and state; new, edit, archive, reactivate, bulk assign. */
export function AdminDefinitions() {
  const [category, setCategory] = useState("");
  const [type, setType] = useState<CalculationType | "">("");
  const [state, setState] = useState<"all" | "active" | "archived">("all");
  const filter = useMemo(
    () => ({
      category: category || undefined,
      calculationType: type || undefined,
      isActive: state === "all" ? undefined : state === "active",
    }),
    [category, type, state],
  );
  const [result] = useQuery({ query: AdminDefinitionsQuery, variables: { filter } });
  const [choices] = useQuery({ query: AdminDefinitionChoicesQuery });
  const categories = useMemo(
    () => [...new Set((choices.data?.kpiDefinitions ?? []).map((d) => d.category).filter((c): c is string => Boolean(c)))].sort(),
    [choices.data],
  );
  const [setActiveResult, setActive] = useMutation(AdminSetDefinitionActiveMutation);

  const columns = useMemo<Array<ColumnDef<Row, any>>>(
    () => [
      {
        id: "name",
        header: "Name",
        accessorFn: (row) => getFragmentData(AdminDefinitionRowFragment, row).name,
      },
      {
        id: "category",
        header: "Category",
        accessorFn: (row) => getFragmentData(AdminDefinitionRowFragment, row).category ?? "—",
      },
      {
        id: "type",
        header: "Type",
        accessorFn: (row) => TYPE_LABEL[getFragmentData(AdminDefinitionRowFragment, row).calculationType],
      },
      {
        id: "unit",
        header: "Unit",
        accessorFn: (row) => getFragmentData(AdminDefinitionRowFragment, row).unit ?? "—",
      },
      {
        id: "period",
        header: "Period",
        accessorFn: (row) => PERIOD_LABEL[getFragmentData(AdminDefinitionRowFragment, row).aggregationPeriod],
      },
      {
        id: "target",
        header: "Target",
        accessorFn: (row) => TARGET_LABEL[getFragmentData(AdminDefinitionRowFragment, row).targetType],
      },
      {
        id: "state",
        header: "State",
        accessorFn: (row) => (getFragmentData(AdminDefinitionRowFragment, row).isActive ? "Active" : "Archived"),
        cell: (info) => <StateBadge active={getFragmentData(AdminDefinitionRowFragment, info.row.original).isActive} />,
      },
      {
        id: "actions",
        header: "Actions",
        enableSorting: false,
        cell: (info) => {
          const d = getFragmentData(AdminDefinitionRowFragment, info.row.original);
          return (
            <div className="row nowrap">
              <Link className="button" to={`/admin/definitions/${d.id}`} aria-label={`Edit ${d.name}`}>
                Edit
              </Link>
              <button
                type="button"
                className="button"
                aria-label={`${d.isActive ? "Archive" : "Reactivate"} ${d.name}`}
                onClick={() => void setActive({ id: d.id, isActive: !d.isActive })}
              >
                {d.isActive ? "Archive" : "Reactivate"}
              </button>
            </div>
          );
        },
      },
    ],
    [setActive],
  );

  return (
    <div className="stack">
      <SectionHeader title="KPI definitions">
        <Link className="button primary" to="/admin/definitions/new">
          New KPI
        </Link>
        <AdminBulkAssign />
      </SectionHeader>
      <div className="admin-filters" role="group" aria-label="Filter definitions">
        <Field label="Category">
          <select value={category} onChange={(event) => setCategory(event.target.value)}>
            <option value="">All categories</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Type">
          <select value={type} onChange={(event) => setType(event.target.value as CalculationType | "")}>
            <option value="">All types</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABEL[t]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="State">
          <select value={state} onChange={(event) => setState(event.target.value as typeof state)}>
            <option value="all">Active and archived</option>
            <option value="active">Active</option>
            <option value="archived">Archived</option>
          </select>
        </Field>
      </div>
      {setActiveResult.error && <ErrorNotice error={setActiveResult.error} />}
      <QueryState result={result}>
        {(data) => (
          <DataTable
            caption="KPI definitions"
            columns={columns}
            data={data.kpiDefinitions}
            filterLabel="Search definitions"
            initialSorting={[{ id: "name", desc: false }]}
            empty="No definition matches these filters."
          />
        )}
      </QueryState>
    </div>
  );
}
