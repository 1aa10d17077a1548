import { conditional, power } from "./operators.js";
import { fail, type EvalState, type Evaluator } from "./runtime.js";

export interface CallSite {
  readonly state: EvalState;
  /** Where the function's name is, for the reasons. */
  readonly at: number;
}

export interface FormulaFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Builds the call's closure; the compiler has checked the argument count. */
  readonly build: (args: readonly Evaluator[], site: CallSite) => Evaluator;
}

function unary(fn: (x: number) => number): FormulaFunction["build"] {
  return ([x]) => {
    const argument = x!;
    return () => fn(argument());
  };
}

function minMax(pick: (a: number, b: number) => number): FormulaFunction["build"] {
  return (args) => {
    const [first, second] = args;
    if (args.length === 1) return first!;
    if (args.length === 2) return () => pick(first!(), second!());
    return () => {
      // Math.min/max propagate NaN, so an undefined argument makes the result undefined.
      let result = first!();
      for (let i = 1; i < args.length; i++) result = pick(result, args[i]!());
      return result;
    };
  };
}

function sum(args: readonly Evaluator[]): Evaluator {
  return () => {
    let total = 0;
    for (let i = 0; i < args.length; i++) total += args[i]!();
    return total;
  };
}

/** Rounds half away from zero, like spreadsheets and PostgreSQL's round(numeric); Math.round rounds -2.5 to -2. */
export function roundHalfAwayFromZero(x: number, digits: number): number {
  const sign = x < 0 ? -1 : 1;
  const magnitude = Math.abs(x);
  if (digits === 0) return sign * Math.round(magnitude);
  if (digits > 0) {
    const scale = 10 ** digits;
    const scaled = magnitude * scale;
    // Beyond 2^52 a double has no fractional part left to round.
    if (scaled >= 2 ** 52) return x;
    // 1.005 is stored as 1.00499999999999989…, and 1.005 * 100 as 100.49999999999999: cutting the
    // product to 15 significant digits removes that representation noise, so round(1.005, 2) is 1.01.
    return (sign * Math.round(Number(scaled.toPrecision(15)))) / scale;
  }
  const scale = 10 ** -digits;
  return sign * Math.round(Number((magnitude / scale).toPrecision(15))) * scale;
}

const MAX_ROUND_DIGITS = 15;

/**
 * The whitelist. A Map, not an object, so that names such as "constructor" or "__proto__" are not
 * functions. avg/sum/min/max take one or more arguments (the inputs of a formula are scalars).
 */
export const FUNCTIONS: ReadonlyMap<string, FormulaFunction> = new Map<string, FormulaFunction>([
  ["min", { minArgs: 1, maxArgs: Infinity, build: minMax(Math.min) }],
  ["max", { minArgs: 1, maxArgs: Infinity, build: minMax(Math.max) }],
  ["abs", { minArgs: 1, maxArgs: 1, build: unary(Math.abs) }],
  ["floor", { minArgs: 1, maxArgs: 1, build: unary(Math.floor) }],
  ["ceil", { minArgs: 1, maxArgs: 1, build: unary(Math.ceil) }],
  [
    "round",
    {
      minArgs: 1,
      maxArgs: 2,
      build: ([x, digits], { state, at }) => {
        if (!digits) return () => roundHalfAwayFromZero(x!(), 0);
        const badDigits = `round() needs a whole number of digits between ${-MAX_ROUND_DIGITS} and ${MAX_ROUND_DIGITS} at position ${at}`;
        return () => {
          const value = x!();
          const d = digits();
          if (d !== d) return NaN;
          if (!Number.isInteger(d) || Math.abs(d) > MAX_ROUND_DIGITS) return fail(state, badDigits);
          return roundHalfAwayFromZero(value, d);
        };
      },
    },
  ],
  [
    "sqrt",
    {
      minArgs: 1,
      maxArgs: 1,
      build: ([x], { state, at }) => {
        const negative = `square root of a negative number at position ${at}`;
        return () => {
          const value = x!();
          return value < 0 ? fail(state, negative) : Math.sqrt(value);
        };
      },
    },
  ],
  ["pow", { minArgs: 2, maxArgs: 2, build: ([base, exponent], { state, at }) => power(base!, exponent!, state, at, "pow()") }],
  [
    "sum",
    {
      minArgs: 1,
      maxArgs: Infinity,
      build: (args, { state, at }) => {
        const total = sum(args);
        const overflow = `sum() overflows at position ${at}`;
        return () => {
          const v = total();
          return Number.isFinite(v) ? v : fail(state, overflow);
        };
      },
    },
  ],
  [
    "avg",
    {
      minArgs: 1,
      maxArgs: Infinity,
      build: (args, { state, at }) => {
        const total = sum(args);
        const count = args.length;
        const overflow = `avg() overflows at position ${at}`;
        return () => {
          const v = total() / count;
          return Number.isFinite(v) ? v : fail(state, overflow);
        };
      },
    },
  ],
  ["if", { minArgs: 3, maxArgs: 3, build: ([test, consequent, alternate]) => conditional(test!, consequent!, alternate!) }],
  [
    "coalesce",
    {
      minArgs: 1,
      maxArgs: Infinity,
      build:
        (args, { state }) =>
        () => {
          // The first defined argument wins, and the failures of those before it are forgotten: they
          // were the point of calling coalesce. If none is defined, the first one's reason stays.
          const before = state.reason;
          for (let i = 0; i < args.length; i++) {
            const v = args[i]!();
            if (v === v) {
              state.reason = before;
              return v;
            }
          }
          return NaN;
        },
    },
  ],
]);

export const FUNCTION_NAMES: readonly string[] = [...FUNCTIONS.keys()];
