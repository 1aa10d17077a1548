import { useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, type CombinedError } from "urql";
import { getFragmentData, graphql } from "../gql";
import type { AggregationPeriod, CalculationType, CreateKpiDefinitionInput, TargetType } from "../gql/graphql";
import { Field } from "../ui/Field";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { AdminPreview } from "./AdminPreview";
import { hasUnplacedError, PERIOD_LABEL, TARGET_LABEL, TYPE_LABEL, TYPES } from "./common";
import { fieldErrors } from "../ui/errors";
import { ApiSource, FormulaSource, ManualSource, QuerySource } from "./AdminSourceFields";
import { buildDataSource, emptyForm, formFromDefinition, validateForm, type DefinitionFormState } from "./definition-form";

const AdminDefinitionFormFragment = graphql(`
  fragment AdminDefinitionForm on KpiDefinition {
    id
    name
    description
    category
    unit
    targetType
    aggregationPeriod
    additive
    calculationType
    dataSource
    isActive
  }
`);

const AdminDefinitionQuery = graphql(`
  query AdminDefinition($id: ID!) {
    kpiDefinition(id: $id) {
      id
      ...AdminDefinitionForm
    }
  }
`);

const AdminCreateDefinitionMutation = graphql(`
  mutation AdminCreateDefinition($input: CreateKpiDefinitionInput!) {
    createKpiDefinition(input: $input) {
      id
      name
      isActive
    }
  }
`);

const AdminUpdateDefinitionMutation = graphql(`
  mutation AdminUpdateDefinition($id: ID!, $input: UpdateKpiDefinitionInput!) {
    updateKpiDefinition(id: $id, input: $input) {
      id
      ...AdminDefinitionForm
    }
  }
`);

/** /admin/definitions/new and /admin/definitions/:id: a definition's form, with a preview before saving. */
export function AdminDefinitionEditor() {
  const { definitionId } = useParams();
  if (!definitionId) return <DefinitionForm key="new" initial={emptyForm()} />;
  return <ExistingDefinition id={definitionId} />;
}

function ExistingDefinition({ id }: { id: string }) {
  const [result] = useQuery({ query: AdminDefinitionQuery, variables: { id }, requestPolicy: "cache-and-network" });
  return (
    <QueryState result={result}>
      {(data) => {
        if (!data.kpiDefinition)
          return (
            <div className="notice notice-error" role="alert">
              <strong>Not found</strong>
              <p>
                There is no KPI definition {id}. <Link to="/admin/definitions">Back to the definitions</Link>
              </p>
            </div>
          );
        const definition = getFragmentData(AdminDefinitionFormFragment, data.kpiDefinition);
        return <DefinitionForm key={definition.id} id={definition.id} initial={formFromDefinition(definition)} />;
      }}
    </QueryState>
  );
}

const PLACED_INPUT = /^dataSource\.inputs\[\d+\]\.(variable|source|source\.(kpiDefinitionId|query|connection))$/;
const PLACED = new Set([
  "name",
  "description",
  "category",
  "unit",
  "dataSource.allowed_range",
  "dataSource.allowed_range.min",
  "dataSource.allowed_range.max",
  "dataSource.query",
  "dataSource.connection",
  "dataSource.formula",
  "dataSource.inputs",
  "dataSource.metric",
  "dataSource.aggregate",
  "dataSource.url",
  "dataSource.headers",
  "dataSource.select",
]);
const placedSet = (errors: Record<string, string>) =>
  new Set(Object.keys(errors).filter((key) => PLACED.has(key) || PLACED_INPUT.test(key)));

/** The input of createKpiDefinition / previewKpiDefinition that the form describes. */
function createInput(form: DefinitionFormState): CreateKpiDefinitionInput {
  return {
    name: form.name.trim(),
    description: form.description.trim() || undefined,
    category: form.category.trim() || undefined,
    unit: form.unit.trim() || undefined,
    targetType: form.targetType,
    aggregationPeriod: form.aggregationPeriod,
    additive: form.additive === "auto" ? undefined : form.additive === "yes",
    calculationType: form.calculationType,
    dataSource: buildDataSource(form),
  };
}

function DefinitionForm(props: { id?: string; initial: DefinitionFormState }) {
  const navigate = useNavigate();
  const [form, setForm] = useState(props.initial);
  const initialSource = useMemo(() => JSON.stringify(buildDataSource(props.initial)), [props.initial]);
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  /** The server's latest refusal (of a save or a preview): about the form as it was sent, so an edit puts it away. */
  const [serverError, setServerError] = useState<CombinedError | undefined>();
  const [createResult, create] = useMutation(AdminCreateDefinitionMutation);
  const [updateResult, update] = useMutation(AdminUpdateDefinitionMutation);
  const [saved, setSaved] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const editing = props.id !== undefined;
  const saveError = serverError;
  const saving = createResult.fetching || updateResult.fetching;

  const set = <K extends keyof DefinitionFormState>(key: K, value: DefinitionFormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setSaved(false);
    setServerError(undefined);
  };
  const serverErrors = fieldErrors(serverError);
  const err = (key: string) => clientErrors[key] ?? serverErrors[key];

  /** The client's checks; on failure the first invalid control gets the focus. */
  function check(): boolean {
    const errors = validateForm(form);
    setClientErrors(errors);
    if (Object.keys(errors).length === 0) return true;
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus());
    return false;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!check()) return;
    setServerError(undefined);
    const input = createInput(form);
    if (!editing) {
      const result = await create({ input });
      setServerError(result.error);
      if (!result.error) void navigate("/admin/definitions");
      return;
    }
    const dataSourceChanged = JSON.stringify(input.dataSource) !== initialSource;
    const result = await update({
      id: props.id!,
      input: {
        name: input.name,
        description: form.description.trim() || null,
        category: form.category.trim() || null,
        unit: form.unit.trim() || null,
        targetType: input.targetType,
        aggregationPeriod: input.aggregationPeriod,
        additive: input.additive,
        ...(dataSourceChanged ? { dataSource: input.dataSource } : {}),
      },
    });
    setServerError(result.error);
    if (!result.error) setSaved(true);
  }

  const showNotice = saveError && hasUnplacedError(saveError, placedSet(fieldErrors(saveError)));

  return (
    <form ref={formRef} className="stack admin-form" onSubmit={submit} noValidate aria-labelledby="definition-form-title">
      <div className="admin-section-header">
        <h2 id="definition-form-title">{editing ? `Edit ${props.initial.name}` : "New KPI"}</h2>
        <Link to="/admin/definitions">Back to the definitions</Link>
      </div>

      <fieldset className="card admin-fieldset">
        <legend>About the KPI</legend>
        <div className="admin-grid">
          <Field label="Name" error={err("name")}>
            <input value={form.name} onChange={(e) => set("name", e.target.value)} required maxLength={255} />
          </Field>
          <Field label="Category" hint="e.g. customer_support, sales" error={err("category")}>
            <input value={form.category} onChange={(e) => set("category", e.target.value)} maxLength={100} />
          </Field>
          <Field label="Unit" hint="e.g. %, hours, count, USD" error={err("unit")}>
            <input value={form.unit} onChange={(e) => set("unit", e.target.value)} maxLength={50} />
          </Field>
          <Field label="Target type">
            <select value={form.targetType} onChange={(e) => set("targetType", e.target.value as TargetType)}>
              {(Object.keys(TARGET_LABEL) as TargetType[]).map((t) => (
                <option key={t} value={t}>
                  {TARGET_LABEL[t]}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Aggregation period">
            <select
              value={form.aggregationPeriod}
              onChange={(e) => set("aggregationPeriod", e.target.value as AggregationPeriod)}
            >
              {(Object.keys(PERIOD_LABEL) as AggregationPeriod[]).map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABEL[p]}
                </option>
              ))}
            </select>
          </Field>
          <Field
            label="Values add up over a period"
            hint="Counts and revenue add up; averages and rates do not. From the unit: yes for count and currency units."
          >
            <select value={form.additive} onChange={(e) => set("additive", e.target.value as DefinitionFormState["additive"])}>
              {!editing && <option value="auto">From the unit</option>}
              <option value="yes">Yes (additive)</option>
              <option value="no">No (average or rate)</option>
            </select>
          </Field>
        </div>
        <Field label="Description" error={err("description")}>
          <textarea rows={2} value={form.description} onChange={(e) => set("description", e.target.value)} />
        </Field>
      </fieldset>

      <fieldset className="card admin-fieldset">
        <legend>How it is calculated</legend>
        <Field
          label="Calculation type"
          hint={
            editing ? "The calculation type of a saved definition cannot change: archive it and create a new one." : undefined
          }
        >
          <select
            value={form.calculationType}
            disabled={editing}
            onChange={(e) => set("calculationType", e.target.value as CalculationType)}
          >
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABEL[t]}
              </option>
            ))}
          </select>
        </Field>
        {form.calculationType === "MANUAL" && <ManualSource form={form} set={set} err={err} />}
        {form.calculationType === "QUERY" && <QuerySource form={form} set={set} err={err} />}
        {form.calculationType === "FORMULA" && <FormulaSource form={form} set={set} err={err} excludeId={props.id} />}
        {form.calculationType === "API" && <ApiSource form={form} set={set} err={err} />}
      </fieldset>

      <AdminPreview input={() => (check() ? createInput(form) : null)} onError={setServerError} unit={form.unit} />

      {showNotice && <ErrorNotice error={saveError} />}
      {saveError && !showNotice && (
        <p className="field-error" role="alert">
          The server refused the definition: see the fields marked above.
        </p>
      )}
      {saved && (
        <p className="notice" role="status">
          Saved.
        </p>
      )}
      <div className="row">
        <button type="submit" className="button primary" disabled={saving}>
          {saving ? "Saving…" : editing ? "Save changes" : "Create KPI"}
        </button>
        <Link className="button" to="/admin/definitions">
          Cancel
        </Link>
      </div>
    </form>
  );
}
