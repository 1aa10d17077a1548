import { useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, type CombinedError } from "urql";
import { getFragmentData, graphql } from "../gql";
import type { AggregationPeriod, CalculationType, CreateKpiDefinitionInput, TargetType } from "../gql/graphql";
import { Field } from "../ui/Field";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { AdminDefinitionChoicesQuery } from "./AdminDefinitions";
import { AdminPreview } from "./AdminPreview";
import { hasUnplacedError, PERIOD_LABEL, TARGET_LABEL, TYPE_LABEL, TYPES } from "./common";
import { fieldErrors } from "../ui/errors";
import {
  ADAPTER_LABEL,
  ADAPTERS,
  AIRCALL_METRICS,
  buildDataSource,
  emptyForm,
  formFromDefinition,
  GOOGLE_AGGREGATES,
  HTTP_AGGREGATES,
  INTERCOM_METRICS,
  newInput,
  validateForm,
  type Adapter,
  type DefinitionFormState,
  type FormulaInput,
  type InputKind,
} from "./definition-form";

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
      if (!result.error) navigate("/admin/definitions");
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

type SourceProps = {
  form: DefinitionFormState;
  set: <K extends keyof DefinitionFormState>(key: K, value: DefinitionFormState[K]) => void;
  err: (key: string) => string | undefined;
};

function ManualSource({ form, set, err }: SourceProps) {
  return (
    <div className="admin-grid">
      <Field
        label="Lowest allowed value"
        hint="Leave both empty to accept any value."
        error={err("dataSource.allowed_range.min")}
      >
        <input inputMode="decimal" value={form.manualMin} onChange={(e) => set("manualMin", e.target.value)} />
      </Field>
      <Field label="Highest allowed value" error={err("dataSource.allowed_range.max") ?? err("dataSource.allowed_range")}>
        <input inputMode="decimal" value={form.manualMax} onChange={(e) => set("manualMax", e.target.value)} />
      </Field>
    </div>
  );
}

function QuerySource({ form, set, err }: SourceProps) {
  return (
    <>
      <Field
        label="SQL query"
        hint="Returns the value in its first column. Parameters: :user_id, :start_date, :end_date, :external_id.<provider>."
        error={err("dataSource.query")}
      >
        <textarea
          className="code"
          rows={6}
          spellCheck={false}
          value={form.query}
          onChange={(e) => set("query", e.target.value)}
        />
      </Field>
      <Field label="Connection" hint="Empty: the server's own database (default)." error={err("dataSource.connection")}>
        <input value={form.connection} onChange={(e) => set("connection", e.target.value)} placeholder="default" />
      </Field>
    </>
  );
}

function FormulaSource({ form, set, err, excludeId }: SourceProps & { excludeId?: string }) {
  const [choices] = useQuery({ query: AdminDefinitionChoicesQuery });
  const definitions = (choices.data?.kpiDefinitions ?? []).filter((d) => d.id !== excludeId);
  const setInput = (index: number, change: Partial<FormulaInput>) =>
    set(
      "inputs",
      form.inputs.map((input, i) => (i === index ? { ...input, ...change } : input)),
    );
  return (
    <>
      <Field
        label="Formula"
        hint="Uses the inputs' variables: + - * / % **, comparisons, ? :, min max abs round floor ceil sqrt pow avg sum if coalesce."
        error={err("dataSource.formula")}
      >
        <input className="code" spellCheck={false} value={form.formula} onChange={(e) => set("formula", e.target.value)} />
      </Field>
      {err("dataSource.inputs") && (
        <p className="field-error" role="alert">
          {err("dataSource.inputs")}
        </p>
      )}
      {form.inputs.map((input, index) => {
        const path = `dataSource.inputs[${index}]`;
        const n = index + 1;
        return (
          <fieldset key={input.key} className="admin-fieldset admin-input">
            <legend>Input {n}</legend>
            <div className="admin-grid">
              <Field label={`Input ${n} variable`} error={err(`${path}.variable`)}>
                <input className="code" value={input.variable} onChange={(e) => setInput(index, { variable: e.target.value })} />
              </Field>
              <Field label={`Input ${n} source`}>
                <select value={input.kind} onChange={(e) => setInput(index, { kind: e.target.value as InputKind })}>
                  <option value="kpi">Another KPI</option>
                  <option value="database">SQL query</option>
                  {input.kept && <option value="kept">API source (kept as saved)</option>}
                </select>
              </Field>
              {input.kind === "kpi" && (
                <Field label={`Input ${n} KPI`} error={err(`${path}.source.kpiDefinitionId`) ?? err(`${path}.source`)}>
                  <select value={input.kpiDefinitionId} onChange={(e) => setInput(index, { kpiDefinitionId: e.target.value })}>
                    <option value="">Choose a KPI…</option>
                    {definitions.map((d) => (
                      <option key={d.id} value={d.id}>
                        {d.name}
                        {d.isActive ? "" : " (archived)"}
                      </option>
                    ))}
                  </select>
                </Field>
              )}
            </div>
            {input.kind === "database" && (
              <>
                <Field label={`Input ${n} SQL query`} error={err(`${path}.source.query`) ?? err(`${path}.source`)}>
                  <textarea
                    className="code"
                    rows={4}
                    spellCheck={false}
                    value={input.query}
                    onChange={(e) => setInput(index, { query: e.target.value })}
                  />
                </Field>
                <Field label={`Input ${n} connection`} error={err(`${path}.source.connection`)}>
                  <input
                    value={input.connection}
                    placeholder="default"
                    onChange={(e) => setInput(index, { connection: e.target.value })}
                  />
                </Field>
              </>
            )}
            {input.kind === "kept" && <p className="muted">{String(input.kept?.type ?? "API")} source, kept as it was saved.</p>}
            <button
              type="button"
              className="button"
              onClick={() =>
                set(
                  "inputs",
                  form.inputs.filter((_, i) => i !== index),
                )
              }
            >
              Remove input {n}
            </button>
          </fieldset>
        );
      })}
      <div>
        <button type="button" className="button" onClick={() => set("inputs", [...form.inputs, newInput()])}>
          Add input
        </button>
      </div>
    </>
  );
}

function ApiSource({ form, set, err }: SourceProps) {
  return (
    <>
      <Field label="Adapter" hint="The user's account at the provider comes from their external ids.">
        <select
          value={form.adapter}
          onChange={(e) => {
            set("adapter", e.target.value as Adapter);
            set("metric", "");
            set("aggregate", "");
          }}
        >
          {ADAPTERS.map((a) => (
            <option key={a} value={a}>
              {ADAPTER_LABEL[a]}
            </option>
          ))}
        </select>
      </Field>
      {(form.adapter === "intercom" || form.adapter === "aircall") && (
        <Field label="Metric" error={err("dataSource.metric")}>
          <select value={form.metric} onChange={(e) => set("metric", e.target.value)}>
            <option value="">Choose a metric…</option>
            {(form.adapter === "intercom" ? INTERCOM_METRICS : AIRCALL_METRICS).map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </Field>
      )}
      {form.adapter === "google_workspace" && (
        <div className="admin-grid">
          <Field
            label="Reports API parameter"
            hint="<application>:<name>, e.g. gmail:num_emails_sent"
            error={err("dataSource.metric")}
          >
            <input className="code" value={form.googleMetric} onChange={(e) => set("googleMetric", e.target.value)} />
          </Field>
          <Field label="Daily values combined by" error={err("dataSource.aggregate")}>
            <select value={form.aggregate} onChange={(e) => set("aggregate", e.target.value)}>
              <option value="">Default</option>
              {GOOGLE_AGGREGATES.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </Field>
        </div>
      )}
      {form.adapter === "http" && (
        <>
          <Field
            label="URL"
            hint="A JSON source; placeholders {user_id}, {start_date}, {end_date}, {external_id.<provider>}."
            error={err("dataSource.url")}
          >
            <input className="code" type="url" value={form.url} onChange={(e) => set("url", e.target.value)} />
          </Field>
          <Field label="Headers" hint="One per line, Name: value; secrets as {secret:NAME}." error={err("dataSource.headers")}>
            <textarea
              className="code"
              rows={3}
              spellCheck={false}
              value={form.headers}
              onChange={(e) => set("headers", e.target.value)}
            />
          </Field>
          <div className="admin-grid">
            <Field label="Select (JMESPath)" hint="e.g. data.total" error={err("dataSource.select")}>
              <input className="code" value={form.select} onChange={(e) => set("select", e.target.value)} />
            </Field>
            <Field label="Selected values combined by" error={err("dataSource.aggregate")}>
              <select value={form.aggregate} onChange={(e) => set("aggregate", e.target.value)}>
                <option value="">Default</option>
                {HTTP_AGGREGATES.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        </>
      )}
    </>
  );
}
