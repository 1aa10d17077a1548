/**
 * A formula's outcome for one set of inputs. "undefined" is a data outcome, not an error: a
 * division by zero or a null input makes the KPI value undefined for that period, with the reason
 * (and the position of the cause) to show next to it.
 */
export type FormulaResult =
  { readonly kind: "value"; readonly value: number } | { readonly kind: "undefined"; readonly reason: string };

export type FormulaInputs = Readonly<Record<string, number | null>>;

export interface CompiledFormula {
  /** The source text. */
  readonly formula: string;
  /** The variables the formula uses, in order of first use. */
  readonly variables: string[];
  /** The functions the formula calls, in order of first use. */
  readonly functions: string[];
  /**
   * Evaluates the formula. Never throws for data-dependent problems; throws a TypeError when one of
   * `variables` is absent from `values` (or not a number or null), which is a programming error.
   */
  evaluate(values: FormulaInputs): FormulaResult;
}
