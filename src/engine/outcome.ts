/**
 * What one calculation of one source gives. A value; "undefined" when the data make the KPI
 * meaningless for the period (no rows, a division by zero), which is not a failure; "skipped"
 * when the KPI does not apply to the user (no account at the provider). Failures are thrown as
 * CalculationError.
 */
export type SourceResult =
  | { kind: "value"; value: number; metadata: Record<string, unknown> }
  | { kind: "undefined"; reason: string; metadata: Record<string, unknown> }
  | { kind: "skipped"; reason: string; metadata: Record<string, unknown> };

/** A calculation that could not be done: bad SQL, a timeout, an unreachable API. Its message is shown to admins. */
export class CalculationError extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "CalculationError";
  }
}

/** The user and period a calculation is for. */
export interface CalculationSubject {
  userId: number;
  /** Half-open [start, end) calendar dates. */
  period: { start: string; end: string };
  /** The user's account ids at external providers, by provider name. */
  externalIds: Readonly<Record<string, string>>;
}
