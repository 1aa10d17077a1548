import { useQuery } from "urql";
import { Field } from "../ui/Field";
import { AdminDefinitionChoicesQuery } from "./AdminDefinitions";
import {
  ADAPTER_LABEL,
  ADAPTERS,
  AIRCALL_METRICS,
  GOOGLE_AGGREGATES,
  HTTP_AGGREGATES,
  INTERCOM_METRICS,
  newInput,
  type Adapter,
  type DefinitionFormState,
  type FormulaInput,
  type InputKind,
} from "./definition-form";

/** The settings of each kind of source in the definition form: manual range, SQL, formula and inputs, API adapter. */
export type SourceProps = {
  form: DefinitionFormState;
  set: <K extends keyof DefinitionFormState>(key: K, value: DefinitionFormState[K]) => void;
  err: (key: string) => string | undefined;
};

export function ManualSource({ form, set, err }: SourceProps) {
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

export function QuerySource({ form, set, err }: SourceProps) {
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

export function FormulaSource({ form, set, err, excludeId }: SourceProps & { excludeId?: string }) {
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

export function ApiSource({ form, set, err }: SourceProps) {
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
