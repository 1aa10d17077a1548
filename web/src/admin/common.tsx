import type { ReactNode } from "react";
import type { CombinedError } from "urql";
import type { AggregationPeriod, CalculationType, RunStatus, TargetType } from "../gql/graphql";
import { fieldErrors } from "../ui/errors";

/** Labels of the API's enums, as the admin panel shows them. */
export const TYPE_LABEL: Record<CalculationType, string> = {
  MANUAL: "Manual",
  QUERY: "SQL query",
  FORMULA: "Formula",
  API: "API",
};
export const TYPES = Object.keys(TYPE_LABEL) as CalculationType[];

export const TARGET_LABEL: Record<TargetType, string> = {
  HIGHER_BETTER: "Higher is better",
  LOWER_BETTER: "Lower is better",
  EXACT: "Exact",
};
export const PERIOD_LABEL: Record<AggregationPeriod, string> = {
  DAILY: "Daily",
  WEEKLY: "Weekly",
  MONTHLY: "Monthly",
  QUARTERLY: "Quarterly",
};

/** Whether some error of the answer is not shown next to one of the `placed` fields. */
export function hasUnplacedError(error: CombinedError | undefined, placed: ReadonlySet<string>): boolean {
  if (!error) return false;
  const byField = fieldErrors(error);
  const fields = Object.keys(byField);
  if (error.networkError) return true;
  if (fields.length === 0) return true;
  return error.graphQLErrors.length > fields.filter((field) => placed.has(field)).length;
}

const RUN_ICON: Record<RunStatus, string> = {
  QUEUED: "…",
  RUNNING: "↻",
  SUCCEEDED: "✓",
  PARTIAL: "≈",
  FAILED: "✕",
};
const RUN_TONE: Record<RunStatus, string> = {
  QUEUED: "no-data",
  RUNNING: "no-data",
  SUCCEEDED: "on-target",
  PARTIAL: "close",
  FAILED: "off-target",
};
const RUN_LABEL: Record<RunStatus, string> = {
  QUEUED: "Queued",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  PARTIAL: "Partial",
  FAILED: "Failed",
};

export const isFinished = (status: RunStatus) => status !== "QUEUED" && status !== "RUNNING";

/** A run's status in words, with a symbol and a colour that only repeat it. */
export function RunStatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge badge-${RUN_TONE[status]}`}>
      <span aria-hidden="true">{RUN_ICON[status]}</span> {RUN_LABEL[status]}
    </span>
  );
}

/** Active or not, in words. */
export function StateBadge({ active, on = "Active", off = "Archived" }: { active: boolean; on?: string; off?: string }) {
  return (
    <span className={`badge ${active ? "badge-on-target" : "badge-no-data"}`}>
      <span aria-hidden="true">{active ? "●" : "○"}</span> {active ? on : off}
    </span>
  );
}

/** A section heading with its actions on the same line (wrapping on phones). */
export function SectionHeader(props: { title: string; id?: string; level?: 2 | 3; children?: ReactNode }) {
  const Heading = props.level === 3 ? "h3" : "h2";
  return (
    <div className="admin-section-header">
      <Heading id={props.id}>{props.title}</Heading>
      {props.children && <div className="row">{props.children}</div>}
    </div>
  );
}

/** "" → undefined, otherwise the number (NaN when it is not one). */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return trimmed === "" ? undefined : Number(trimmed);
}

/** The first day of the current month, YYYY-MM-DD. */
export function firstOfMonth(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-01`;
}
