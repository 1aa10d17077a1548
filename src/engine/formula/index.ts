/**
 * Formula KPIs (`data_source: { type: "formula", formula, inputs }`): compile a formula once when a
 * definition is saved, refusing it with a position if it is not valid, then evaluate it for each
 * user and period. Pure: no I/O, no eval, nothing global.
 */
export { compileFormula, MAX_FORMULA_DEPTH, MAX_FORMULA_LENGTH } from "./compile.js";
export { findCycle } from "./cycles.js";
export { FormulaError } from "./errors.js";
export { FUNCTION_NAMES } from "./functions.js";
export { isValidVariableName } from "./names.js";
export type { CompiledFormula, FormulaInputs, FormulaResult } from "./types.js";
