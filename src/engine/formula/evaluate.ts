import { type EvalState, INPUT_NOT_FINITE, INPUT_NULL, type Evaluator } from "./runtime.js";
import type { CompiledFormula, FormulaInputs, FormulaResult } from "./types.js";

const NOT_FINITE = "the result is not a finite number";

/** A compiled formula: loads the inputs into their slots, runs the closure tree, shapes the result. */
export class Formula implements CompiledFormula {
  readonly variables: string[];
  readonly functions: string[];

  constructor(
    readonly formula: string,
    /** The used variables, by slot; private so that callers changing `variables` cannot break evaluation. */
    private readonly slotNames: readonly string[],
    functions: readonly string[],
    private readonly root: Evaluator,
    private readonly state: EvalState,
  ) {
    this.variables = [...slotNames];
    this.functions = [...functions];
  }

  evaluate(values: FormulaInputs): FormulaResult {
    const { state, slotNames } = this;
    const { slots, inputs } = state;
    // Every used variable is loaded, also those of branches not taken, so that a missing input is
    // found whatever the data; a null or non-finite one becomes NaN and its variable node says why.
    for (let slot = 0; slot < slotNames.length; slot++) {
      const name = slotNames[slot]!;
      const value: unknown = values[name];
      if (typeof value === "number") {
        if (Number.isFinite(value)) {
          slots[slot] = value;
        } else {
          slots[slot] = NaN;
          inputs[slot] = INPUT_NOT_FINITE;
        }
      } else if (value === null) {
        slots[slot] = NaN;
        inputs[slot] = INPUT_NULL;
      } else {
        throw new TypeError(`formula input "${name}" is missing (got ${typeof value})`);
      }
    }
    state.reason = null;
    const value = this.root();
    // `+ 0` turns -0 into 0, which nobody wants to see as a KPI value.
    if (Number.isFinite(value)) return { kind: "value", value: value + 0 };
    return { kind: "undefined", reason: state.reason ?? NOT_FINITE };
  }
}
