import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { getFragmentData, graphql, type FragmentType } from "../gql";
import type { TeamRecordValue_UserKpiFragment } from "../gql/graphql";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { formatDate, formatNumber, formatPeriod, formatValue } from "../ui/format";
import { ErrorNotice } from "../ui/QueryState";
import { fieldErrors } from "../ui/errors";
import { dayBefore, latestCompletePeriod, periodContaining, PERIOD_WORD, today } from "./periods";

const RecordValueFragment = graphql(`
  fragment TeamRecordValue_userKpi on UserKpi {
    id
    startDate
    endDate
    kpiDefinition {
      id
      name
      unit
      aggregationPeriod
      allowedRange {
        min
        max
      }
    }
  }
`);

const RecordMeasurementMutation = graphql(`
  mutation TeamRecordMeasurement($userKpiId: ID!, $input: RecordMeasurementInput!) {
    recordMeasurement(userKpiId: $userKpiId, input: $input) {
      id
      actualValue
      periodStart
      periodEnd
    }
  }
`);

/**
 * "Record value" for one member's MANUAL KPI: the value (within the definition's allowed range),
 * the period it is for (the latest complete one unless a day of another is picked) and notes. The
 * server's validation errors show beside the fields they are about.
 */
export function RecordValueDialog(props: {
  userKpi: FragmentType<typeof RecordValueFragment>;
  memberName: string;
  onRecorded: (message: string) => void;
}) {
  const userKpi = getFragmentData(RecordValueFragment, props.userKpi);
  const definition = userKpi.kpiDefinition;
  const [open, setOpen] = useState(false);

  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
      title={`Record ${definition.name}`}
      description={`For ${props.memberName}, one value per ${PERIOD_WORD[definition.aggregationPeriod]}.`}
      trigger={
        <button type="button" className="button small" aria-label={`Record value: ${definition.name}, ${props.memberName}`}>
          Record value
        </button>
      }
    >
      {/* Mounted while open: each opening starts from a fresh form. */}
      {open && (
        <RecordValueForm
          userKpi={userKpi}
          onCancel={() => setOpen(false)}
          onRecorded={(message) => {
            setOpen(false);
            props.onRecorded(`${message} for ${props.memberName}.`);
          }}
        />
      )}
    </Dialog>
  );
}

function RecordValueForm(props: {
  userKpi: TeamRecordValue_UserKpiFragment;
  onCancel: () => void;
  onRecorded: (message: string) => void;
}) {
  const { userKpi } = props;
  const definition = userKpi.kpiDefinition;
  const range = definition.allowedRange;
  const todayDate = today();
  const [value, setValue] = useState("");
  const [day, setDay] = useState(() => latestCompletePeriod(definition.aggregationPeriod, todayDate).start);
  const [notes, setNotes] = useState("");
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [result, record] = useMutation(RecordMeasurementMutation);

  const period = periodContaining(definition.aggregationPeriod, day);
  const serverErrors = fieldErrors(result.error);
  const valueError = clientErrors.actualValue ?? serverErrors.actualValue;
  const periodError = clientErrors.period ?? serverErrors.periodStart ?? serverErrors.periodEnd;
  // A refusal not about a field (not allowed, deactivated assignment, server down) shows above the buttons.
  const otherError =
    result.error && !serverErrors.actualValue && !serverErrors.periodStart && !serverErrors.periodEnd ? result.error : undefined;

  const rangeHint = range
    ? `Between ${formatNumber(range.min)} and ${formatNumber(range.max)}${definition.unit ? ` (${definition.unit})` : ""}.`
    : definition.unit
      ? `In ${definition.unit}.`
      : undefined;
  const periodHint = period
    ? `Period: ${formatPeriod(period.start, period.end)} (${formatDate(period.start)} to ${formatDate(dayBefore(period.end))}).`
    : "Pick a day of the period.";
  const assignmentHint = `Assigned from ${formatDate(userKpi.startDate)}${userKpi.endDate ? ` to ${formatDate(userKpi.endDate)}` : ""}.`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const errors: Record<string, string> = {};
    const number = value.trim() === "" ? NaN : Number(value);
    if (!Number.isFinite(number)) errors.actualValue = "Enter a number.";
    else if (range && (number < range.min || number > range.max))
      errors.actualValue = `Must be between ${formatNumber(range.min)} and ${formatNumber(range.max)}.`;
    if (!period) errors.period = "Enter a date.";
    else if (period.start > todayDate) errors.period = "This period has not started yet.";
    setClientErrors(errors);
    if (Object.keys(errors).length > 0 || !period) return;

    const outcome = await record({
      userKpiId: userKpi.id,
      input: { actualValue: number, periodStart: period.start, periodEnd: period.end, notes: notes.trim() || null },
    });
    const saved = outcome.data?.recordMeasurement;
    if (saved) {
      props.onRecorded(
        `Recorded ${formatValue(saved.actualValue, definition.unit)} as ${definition.name} for ${formatPeriod(saved.periodStart, saved.periodEnd)}`,
      );
    }
  }

  return (
    <form onSubmit={submit} noValidate className="dialog-form">
      <Field label="Value" hint={rangeHint} error={valueError}>
        <input
          type="number"
          inputMode="decimal"
          step="any"
          min={range?.min}
          max={range?.max}
          required
          value={value}
          onChange={(event) => setValue(event.target.value)}
        />
      </Field>
      <Field
        label="A day in the period"
        hint={
          <>
            {periodHint} {assignmentHint}
          </>
        }
        error={periodError}
      >
        <input type="date" required max={todayDate} value={day} onChange={(event) => setDay(event.target.value)} />
      </Field>
      <Field label="Notes (optional)">
        <textarea rows={3} value={notes} onChange={(event) => setNotes(event.target.value)} />
      </Field>
      {otherError && <ErrorNotice error={otherError} />}
      <div className="row dialog-actions">
        <button type="submit" className="button primary" disabled={result.fetching}>
          {result.fetching ? "Saving…" : "Save value"}
        </button>
        <button type="button" className="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
