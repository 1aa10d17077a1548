import { fail, type EvalState, type Evaluator } from "./runtime.js";

/**
 * Operators of the formula language and their closures. Comparisons and logical operators yield
 * 1 or 0; any non-zero value counts as true. An undefined (NaN) operand makes the result undefined,
 * also for comparisons, where JavaScript would say false, and for `&&`/`||`, except where the left
 * operand alone decides the result (`0 && x` is 0, `1 || x` is 1), as the right one is not evaluated.
 */
export const UNARY_OPERATORS: ReadonlySet<string> = new Set(["-", "+", "!"]);

export const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(["<", "<=", ">", ">=", "==", "!=", "===", "!=="]);

export const BINARY_OPERATORS: ReadonlySet<string> = new Set([
  "+",
  "-",
  "*",
  "/",
  "%",
  "**",
  "&&",
  "||",
  ...COMPARISON_OPERATORS,
]);

/** Operators jsep knows that formulas refuse, with what to write instead. */
export const REFUSED_OPERATOR_HINTS: Readonly<Record<string, string>> = {
  "^": "use ** for powers",
  "??": "use coalesce(a, b)",
  "|": "use || for a logical or",
  "&": "use && for a logical and",
};

export function unary(operator: string, argument: Evaluator): Evaluator {
  switch (operator) {
    case "-":
      return () => -argument();
    case "+":
      return argument;
    case "!":
      return () => {
        const a = argument();
        return a !== a ? NaN : a === 0 ? 1 : 0;
      };
    default:
      throw new Error(`unary operator ${operator} has no implementation`);
  }
}

/** `at` is the operator's position, for the reasons. */
export function binary(operator: string, left: Evaluator, right: Evaluator, state: EvalState, at: number): Evaluator {
  const overflow = `"${operator}" overflows at position ${at}`;
  switch (operator) {
    // Finite operands can only give a non-finite result by overflowing; with a NaN operand the
    // reason is already recorded and fail() keeps it.
    case "+":
      return () => {
        const v = left() + right();
        return Number.isFinite(v) ? v : fail(state, overflow);
      };
    case "-":
      return () => {
        const v = left() - right();
        return Number.isFinite(v) ? v : fail(state, overflow);
      };
    case "*":
      return () => {
        const v = left() * right();
        return Number.isFinite(v) ? v : fail(state, overflow);
      };
    case "/": {
      const byZero = `division by zero at position ${at}`;
      return () => {
        const a = left();
        const b = right();
        if (b === 0) return fail(state, byZero);
        const v = a / b;
        return Number.isFinite(v) ? v : fail(state, overflow);
      };
    }
    case "%": {
      const byZero = `modulo by zero at position ${at}`;
      return () => {
        const a = left();
        const b = right();
        return b === 0 ? fail(state, byZero) : a % b;
      };
    }
    case "**":
      return power(left, right, state, at, '"**"');
    case "<":
      return () => {
        const a = left();
        const b = right();
        return a !== a || b !== b ? NaN : a < b ? 1 : 0;
      };
    case "<=":
      return () => {
        const a = left();
        const b = right();
        return a !== a || b !== b ? NaN : a <= b ? 1 : 0;
      };
    case ">":
      return () => {
        const a = left();
        const b = right();
        return a !== a || b !== b ? NaN : a > b ? 1 : 0;
      };
    case ">=":
      return () => {
        const a = left();
        const b = right();
        return a !== a || b !== b ? NaN : a >= b ? 1 : 0;
      };
    case "==":
    case "===":
      return () => {
        const a = left();
        const b = right();
        return a !== a || b !== b ? NaN : a === b ? 1 : 0;
      };
    case "!=":
    case "!==":
      return () => {
        const a = left();
        const b = right();
        return a !== a || b !== b ? NaN : a !== b ? 1 : 0;
      };
    case "&&":
      return () => {
        const a = left();
        if (a !== a) return NaN;
        if (a === 0) return 0;
        const b = right();
        return b !== b ? NaN : b !== 0 ? 1 : 0;
      };
    case "||":
      return () => {
        const a = left();
        if (a !== a) return NaN;
        if (a !== 0) return 1;
        const b = right();
        return b !== b ? NaN : b !== 0 ? 1 : 0;
      };
    default:
      throw new Error(`binary operator ${operator} has no implementation`);
  }
}

/** `test ? consequent : alternate`, and the if() function: only the chosen branch is evaluated. */
export function conditional(test: Evaluator, consequent: Evaluator, alternate: Evaluator): Evaluator {
  return () => {
    const t = test();
    return t !== t ? NaN : t !== 0 ? consequent() : alternate();
  };
}

/** `**` and pow(). `label` names the operation in the reasons. */
export function power(base: Evaluator, exponent: Evaluator, state: EvalState, at: number, label: string): Evaluator {
  const zeroToNegative = `zero raised to a negative power at position ${at}`;
  const negativeToFraction = `negative number raised to a fractional power at position ${at}`;
  const overflow = `${label} overflows at position ${at}`;
  return () => {
    const b = base();
    const e = exponent();
    // Checked first because JavaScript says NaN ** 0 is 1: an undefined input must stay undefined.
    if (b !== b || e !== e) return NaN;
    const v = b ** e;
    if (Number.isFinite(v)) return v;
    return fail(state, b === 0 ? zeroToNegative : v !== v ? negativeToFraction : overflow);
  };
}
