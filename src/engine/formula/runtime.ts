/**
 * What compiled formulas run on. A compiled node is a closure without arguments that returns a
 * finite number, or NaN for "undefined" after recording why in the formula's EvalState. Reasons are
 * strings built at compile time and only the first one is kept, so evaluating allocates nothing
 * until the result object; NaN propagates through arithmetic on its own, so most nodes need no check.
 */
export type Evaluator = () => number;

/** Why an input slot holds NaN. */
export const INPUT_NULL = 1;
export const INPUT_NOT_FINITE = 2;

export class EvalState {
  /** The first reason the value became undefined during the current evaluation. */
  reason: string | null = null;
  /** Input values by slot, NaN when null or not finite; filled before each evaluation. */
  readonly slots: Float64Array;
  /** Why a slot holds NaN (INPUT_NULL or INPUT_NOT_FINITE), for the reason. */
  readonly inputs: Uint8Array;

  constructor(size: number) {
    this.slots = new Float64Array(size);
    this.inputs = new Uint8Array(size);
  }
}

/** Marks the value undefined. The first reason wins: it is the cause; later ones are consequences. */
export function fail(state: EvalState, reason: string): number {
  if (state.reason === null) state.reason = reason;
  return NaN;
}

export function constant(value: number): Evaluator {
  return () => value;
}

/** Reads one input. The slot is resolved at compile time, so evaluating does no name lookups. */
export function variable(state: EvalState, slot: number, name: string, at: number): Evaluator {
  const { slots, inputs } = state;
  const isNull = `input "${name}" is null at position ${at}`;
  const notFinite = `input "${name}" is not a finite number at position ${at}`;
  return () => {
    const value = slots[slot]!;
    return value === value ? value : fail(state, inputs[slot] === INPUT_NULL ? isNull : notFinite);
  };
}
