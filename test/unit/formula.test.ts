import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileFormula,
  findCycle,
  FormulaError,
  FUNCTION_NAMES,
  isValidVariableName,
  MAX_FORMULA_LENGTH,
  type FormulaResult,
} from "../../src/engine/formula/index.js";

type Values = Record<string, number | null>;

/** Compiles over the variables of `values` (or those given) and evaluates once. */
function run(formula: string, values: Values = {}, variables = Object.keys(values)): FormulaResult {
  return compileFormula(formula, variables).evaluate(values);
}

function valueOf(formula: string, values: Values = {}): number {
  const result = run(formula, values);
  if (result.kind !== "value") throw new Error(`${formula} is undefined: ${result.reason}`);
  return result.value;
}

/** The refusal of a formula, as message and position. */
function refusal(formula: string, variables: string[] = []): { message: string; index: number } {
  try {
    compileFormula(formula, variables);
  } catch (error) {
    if (error instanceof FormulaError) return { message: error.message, index: error.index };
    throw error;
  }
  throw new Error(`${JSON.stringify(formula)} was accepted`);
}

describe("compileFormula: the product design's example", () => {
  const formula = compileFormula("(positive_ratings / total_ratings) * 100", ["positive_ratings", "total_ratings", "unused"]);

  it("evaluates many times over different inputs", () => {
    expect(formula.evaluate({ positive_ratings: 3, total_ratings: 4 })).toEqual({ kind: "value", value: 75 });
    expect(formula.evaluate({ positive_ratings: 1, total_ratings: 8 })).toEqual({ kind: "value", value: 12.5 });
  });

  it("lists the variables it uses, in order of first use, and its functions", () => {
    expect(formula.variables).toEqual(["positive_ratings", "total_ratings"]);
    expect(formula.functions).toEqual([]);
    expect(formula.formula).toBe("(positive_ratings / total_ratings) * 100");
  });

  it("is undefined, with the position of the division, when there are no ratings", () => {
    expect(formula.evaluate({ positive_ratings: 0, total_ratings: 0 })).toEqual({
      kind: "undefined",
      reason: "division by zero at position 18",
    });
  });

  it("is undefined when an input is null, naming it", () => {
    expect(formula.evaluate({ positive_ratings: 2, total_ratings: null })).toEqual({
      kind: "undefined",
      reason: 'input "total_ratings" is null at position 20',
    });
  });

  it("throws when a used input is missing: a programming error, not data", () => {
    expect(() => formula.evaluate({ positive_ratings: 1 })).toThrow(TypeError);
    expect(() => formula.evaluate({ positive_ratings: 1 })).toThrow('formula input "total_ratings" is missing');
  });
});

describe("arithmetic", () => {
  it("follows the usual precedence", () => {
    expect(valueOf("2 + 3 * 4")).toBe(14);
    expect(valueOf("(2 + 3) * 4")).toBe(20);
    expect(valueOf("10 - 4 - 3")).toBe(3);
    expect(valueOf("100 / 10 / 5")).toBe(2);
    expect(valueOf("7 % 4 * 2")).toBe(6);
    expect(valueOf("1 + 2 > 2 && 3")).toBe(1);
  });

  it("** is a right-associative power binding tighter than * and /", () => {
    expect(valueOf("2 ** 3 ** 2")).toBe(512);
    expect(valueOf("(2 ** 3) ** 2")).toBe(64);
    expect(valueOf("2 * 3 ** 2")).toBe(18);
    expect(valueOf("2 ** -1")).toBe(0.5);
  });

  it("refuses a unary operator before ** (is -2 ** 2 4 or -4?) and accepts the parenthesised forms", () => {
    expect(refusal("-2 ** 2")).toEqual({
      message: '"-" before "**" is ambiguous, write (-a) ** b or -(a ** b) at position 0',
      index: 0,
    });
    expect(refusal("3 * -x ** 2", ["x"]).index).toBe(4);
    expect(valueOf("(-2) ** 2")).toBe(4);
    expect(valueOf("-(2 ** 2)")).toBe(-4);
  });

  it("unary minus, plus and not", () => {
    expect(valueOf("-3 + 5")).toBe(2);
    expect(valueOf("- -3")).toBe(3);
    expect(valueOf("-x * 2", { x: 4 })).toBe(-8);
    expect(valueOf("2 - -x", { x: 4 })).toBe(6);
    expect(valueOf("+x", { x: 4 })).toBe(4);
    expect(valueOf("!x", { x: 0 })).toBe(1);
    expect(valueOf("!x", { x: 5 })).toBe(0);
  });

  it("never returns -0", () => {
    expect(Object.is(valueOf("-0"), 0)).toBe(true);
    expect(Object.is(valueOf("x * -1", { x: 0 }), 0)).toBe(true);
  });

  it("accepts the number forms jsep reads", () => {
    expect(valueOf("1.5e3 + .5")).toBe(1500.5);
    expect(valueOf("2E-2")).toBe(0.02);
  });
});

describe("comparisons and logical operators yield 1 or 0", () => {
  it.each([
    ["1 < 2", 1],
    ["2 < 1", 0],
    ["2 <= 2", 1],
    ["3 > 2", 1],
    ["2 >= 3", 0],
    ["2 == 2", 1],
    ["2 != 2", 0],
    ["2 === 2", 1],
    ["2 !== 3", 1],
    ["1 && 2", 1],
    ["1 && 0", 0],
    ["0 || 0", 0],
    ["0 || -3", 1],
    ["0.1 + 0.2 == 0.3", 0],
  ])("%s is %i", (formula, expected) => {
    expect(valueOf(formula)).toBe(expected);
  });

  it("&& and || do not evaluate the right side when the left decides", () => {
    expect(valueOf("0 && 1 / x", { x: 0 })).toBe(0);
    expect(valueOf("1 || 1 / x", { x: 0 })).toBe(1);
    expect(run("1 && 1 / x", { x: 0 })).toEqual({ kind: "undefined", reason: "division by zero at position 7" });
  });

  it("an undefined operand makes a comparison undefined, not false", () => {
    expect(run("x > 0", { x: null })).toEqual({ kind: "undefined", reason: 'input "x" is null at position 0' });
    expect(run("x && 1", { x: null }).kind).toBe("undefined");
    expect(run("!x", { x: null }).kind).toBe("undefined");
  });

  it("the ternary picks a branch and evaluates only that one", () => {
    expect(valueOf("x > 10 ? 1 : 2", { x: 11 })).toBe(1);
    expect(valueOf("x > 10 ? 1 : 2", { x: 9 })).toBe(2);
    expect(valueOf("x ? 5 : 1 / 0", { x: 1 })).toBe(5);
    expect(valueOf("a ? b ? 1 : 2 : 3", { a: 1, b: 0 })).toBe(2);
  });

  it("refuses chained comparisons unless parenthesised", () => {
    expect(refusal("0 < x < 10", ["x"])).toEqual({
      message: "chained comparison, write (a < b) && (b < c) at position 6",
      index: 6,
    });
    expect(refusal("x == y < 1", ["x", "y"]).index).toBe(7);
    expect(valueOf("(0 < x) < 10", { x: 5 })).toBe(1);
    expect(valueOf("0 < x && x < 10", { x: 5 })).toBe(1);
  });
});

describe("functions", () => {
  it("min, max, avg and sum take one or more arguments", () => {
    expect(valueOf("min(3)")).toBe(3);
    expect(valueOf("min(3, 1, 2)")).toBe(1);
    expect(valueOf("max(3, x)", { x: 7 })).toBe(7);
    expect(valueOf("max(1, 5, 2, 4)")).toBe(5);
    expect(valueOf("avg(1, 2, 3, 4)")).toBe(2.5);
    expect(valueOf("avg(x)", { x: 4 })).toBe(4);
    expect(valueOf("sum(1, 2, 3)")).toBe(6);
  });

  it("abs, floor, ceil, sqrt and pow", () => {
    expect(valueOf("abs(-2.5)")).toBe(2.5);
    expect(valueOf("floor(-2.5)")).toBe(-3);
    expect(valueOf("ceil(2.1)")).toBe(3);
    expect(valueOf("sqrt(16)")).toBe(4);
    expect(valueOf("pow(2, 10)")).toBe(1024);
  });

  it("round rounds half away from zero, optionally to a number of digits", () => {
    expect(valueOf("round(2.5)")).toBe(3);
    expect(valueOf("round(-2.5)")).toBe(-3);
    expect(valueOf("round(2.4)")).toBe(2);
    expect(valueOf("round(1.005, 2)")).toBe(1.01);
    expect(valueOf("round(x / 3 * 100, 1)", { x: 2 })).toBe(66.7);
    expect(valueOf("round(1234.5, -2)")).toBe(1200);
    expect(run("round(1.5, 0.5)")).toEqual({
      kind: "undefined",
      reason: "round() needs a whole number of digits between -15 and 15 at position 0",
    });
  });

  it("if(cond, a, b) evaluates only the chosen branch", () => {
    expect(valueOf("if(x > 0, 10, 20)", { x: 1 })).toBe(10);
    expect(valueOf("if(x > 0, 10, 20)", { x: -1 })).toBe(20);
    expect(valueOf("if(x, 1, y / 0)", { x: 1, y: 1 })).toBe(1);
    expect(valueOf("if(total > 0, good / total * 100, 0)", { good: 1, total: 0 })).toBe(0);
  });

  it("coalesce returns the first defined argument", () => {
    expect(valueOf("coalesce(x, 0)", { x: null })).toBe(0);
    expect(valueOf("coalesce(x, 0)", { x: 7 })).toBe(7);
    expect(valueOf("coalesce(x, y, 3)", { x: null, y: null })).toBe(3);
    // Undefined results count as missing too, not only null inputs.
    expect(valueOf("coalesce(a / b, -1)", { a: 1, b: 0 })).toBe(-1);
    expect(run("coalesce(x, y)", { x: null, y: null })).toEqual({ kind: "undefined", reason: 'input "x" is null at position 9' });
  });

  it("a failure absorbed by coalesce does not become the reason of a later one", () => {
    expect(run("coalesce(x, 0) + 1 / y", { x: null, y: 0 })).toEqual({
      kind: "undefined",
      reason: "division by zero at position 19",
    });
  });

  it("lists the functions it calls once each, in order of first use", () => {
    expect(compileFormula("max(a, 1) + round(min(a, 2)) + max(a, 3)", ["a"]).functions).toEqual(["max", "round", "min"]);
    expect(FUNCTION_NAMES).toEqual(
      expect.arrayContaining(["min", "max", "abs", "round", "floor", "ceil", "sqrt", "pow", "avg", "sum", "if", "coalesce"]),
    );
    expect(FUNCTION_NAMES).toHaveLength(12);
  });

  it("refuses a wrong number of arguments at the function's name", () => {
    expect(refusal("1 + sqrt(1, 2)")).toEqual({ message: "sqrt() takes 1 argument, got 2 at position 4", index: 4 });
    expect(refusal("max()")).toEqual({ message: "max() takes at least 1 argument, got 0 at position 0", index: 0 });
    expect(refusal("if(1, 2)").message).toBe("if() takes 3 arguments, got 2 at position 0");
    expect(refusal("round(1, 2, 3)").message).toBe("round() takes 1 to 2 arguments, got 3 at position 0");
  });
});

describe("undefined results", () => {
  it.each([
    ["x / 0", { x: 1 }, "division by zero at position 2"],
    ["0 / 0", {}, "division by zero at position 2"],
    ["x % 0", { x: 1 }, "modulo by zero at position 2"],
    ["sqrt(x - 5)", { x: 1 }, "square root of a negative number at position 0"],
    ["x ** 0.5", { x: -4 }, "negative number raised to a fractional power at position 2"],
    ["pow(0, -1)", {}, "zero raised to a negative power at position 0"],
    ["x * x", { x: 1e200 }, '"*" overflows at position 2'],
    ["x + x", { x: Number.MAX_VALUE }, '"+" overflows at position 2'],
    ["10 ** x", { x: 400 }, '"**" overflows at position 3'],
    ["sum(x, x)", { x: Number.MAX_VALUE }, "sum() overflows at position 0"],
    ["x + 1", { x: Number.POSITIVE_INFINITY }, 'input "x" is not a finite number at position 0'],
    ["x + 1", { x: Number.NaN }, 'input "x" is not a finite number at position 0'],
  ])("%s", (formula, values: Values, reason) => {
    expect(run(formula, values)).toEqual({ kind: "undefined", reason });
  });

  it("a null input stays undefined where JavaScript would make it a number", () => {
    expect(run("x ** 0", { x: null }).kind).toBe("undefined");
    expect(run("min(x, 1)", { x: null }).kind).toBe("undefined");
    expect(run("x * 0", { x: null }).kind).toBe("undefined");
    expect(run("round(x)", { x: null }).kind).toBe("undefined");
  });

  it("reports the first cause, in evaluation order", () => {
    expect(run("a / b + c", { a: 1, b: 0, c: null })).toEqual({ kind: "undefined", reason: "division by zero at position 2" });
    expect(run("c + a / b", { a: 1, b: 0, c: null })).toEqual({ kind: "undefined", reason: 'input "c" is null at position 0' });
  });

  it("positions point at the operator through parentheses, spaces and line breaks", () => {
    expect(run("((a + b)) / c", { a: 1, b: 2, c: 0 })).toEqual({ kind: "undefined", reason: "division by zero at position 10" });
    expect(run("(a)\n  / (c)", { a: 1, c: 0 })).toEqual({ kind: "undefined", reason: "division by zero at position 6" });
    expect(run("a ? b : c / d", { a: 0, b: 1, c: 1, d: 0 })).toEqual({
      kind: "undefined",
      reason: "division by zero at position 10",
    });
    expect(run("max(a, 1) / d", { a: 0, d: 0 })).toEqual({ kind: "undefined", reason: "division by zero at position 10" });
    expect(run("-a / d", { a: 1, d: 0 })).toEqual({ kind: "undefined", reason: "division by zero at position 3" });
  });

  it("a constant subexpression that fails is reported when evaluated, not folded away", () => {
    expect(run("x + 1 / 0", { x: 1 })).toEqual({ kind: "undefined", reason: "division by zero at position 6" });
    expect(valueOf("x + 2 * 3", { x: 1 })).toBe(7);
  });
});

describe("refusals, with the position of the offending token", () => {
  it.each<[string, string[], string, number]>([
    ["a.b", ["a"], "member access (a.b or a[i]) is not allowed", 0],
    ["x + a[0]", ["a", "x"], "member access (a.b or a[i]) is not allowed", 4],
    ["1 + Math.max(1, 2)", [], "member access (a.b or a[i]) is not allowed", 4],
    ["exp(1)", [], 'unknown function "exp"', 0],
    ["2 * constructor(1)", [], 'unknown function "constructor"', 4],
    ["a(1)", ["a"], '"a" is a variable, not a function', 0],
    ["(max)(1, 2)", [], "only functions can be called, e.g. max(a, b)", 1],
    ["(1)(2)", [], "only functions can be called, e.g. max(a, b)", 1],
    ["positive_ratings / total", ["positive_ratings"], 'unknown variable "total"', 19],
    ["  x", [], 'unknown variable "x"', 2],
    ["max + 1", [], 'function "max" must be called, e.g. max(x)', 0],
    ["1 + 'text'", [], "text is not allowed, only numbers", 4],
    ['"a"', [], "text is not allowed, only numbers", 0],
    ["[1, 2]", [], "array literals are not allowed", 0],
    ["sum([1, 2])", [], "array literals are not allowed", 4],
    ["this", [], '"this" is not allowed', 0],
    ["true", [], '"true" is not allowed, write 1', 0],
    ["coalesce(x, null)", ["x"], '"null" is not allowed, use coalesce() for missing values', 12],
    ["1e999", [], "the number 1e999 is too large", 0],
    ["a ^ 2", ["a"], 'operator "^" is not supported, use ** for powers', 2],
    ["a ?? 2", ["a"], 'operator "??" is not supported, use coalesce(a, b)', 2],
    ["a << 2", ["a"], 'operator "<<" is not supported', 2],
    ["~a", ["a"], 'operator "~" is not supported', 0],
    ["a = 1", ["a"], 'expected an operator or the end of the formula, found "="', 2],
    ["a b", ["a", "b"], 'expected an operator or the end of the formula, found "b"', 2],
    ["a; b", ["a", "b"], 'expected an operator or the end of the formula, found ";"', 1],
    ["a, b", ["a", "b"], 'expected an operator or the end of the formula, found ","', 1],
    ["(a, b)", ["a", "b"], 'expected ")", found ","', 2],
    ["max(a b)", ["a", "b"], 'expected "," or ")", found "b"', 6],
    ["max(a,)", ["a"], 'unexpected ")"', 6],
    ["1 +", [], "expected expression after +", 3],
    ["(1", [], 'unclosed "("', 0],
    ["max(1, 2", [], 'unclosed "("', 3],
    ["()", [], "empty parentheses", 1],
    ["1)", [], 'expected an operator or the end of the formula, found ")"', 1],
    ["12abc", [], "variable names cannot start with a number (12a)", 2],
    ["", [], "the formula is empty", 0],
    ["   ", [], "the formula is empty", 0],
  ])("%j", (formula, variables, description, index) => {
    expect(refusal(formula, variables)).toEqual({ message: `${description} at position ${index}`, index });
  });

  it("FormulaError carries the description without the position", () => {
    const error = (() => {
      try {
        compileFormula("1 + x", []);
      } catch (e) {
        return e as FormulaError;
      }
      throw new Error("accepted");
    })();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("FormulaError");
    expect(error.description).toBe('unknown variable "x"');
    expect(error.index).toBe(4);
  });

  it("refuses what would exhaust the stack, without crashing", () => {
    expect(refusal("(".repeat(3000) + "1" + ")".repeat(3000)).message).toMatch(/nested too deeply/);
    expect(refusal("-".repeat(300) + "1").message).toMatch(/nested too deeply/);
    expect(refusal("1".repeat(MAX_FORMULA_LENGTH + 1)).message).toMatch(/longer than/);
    // A long flat sum is fine.
    expect(valueOf(Array.from({ length: 200 }, () => "1").join(" + "))).toBe(200);
  });
});

describe("isValidVariableName", () => {
  it("accepts ASCII identifiers that are not reserved words or function names", () => {
    expect(isValidVariableName("positive_ratings")).toBe(true);
    expect(isValidVariableName("_x2")).toBe(true);
    for (const name of ["2x", "a.b", "a-b", "", "true", "null", "this", "max", "if", "$x", "é"]) {
      expect(isValidVariableName(name), name).toBe(false);
    }
  });
});

describe("findCycle", () => {
  it("finds none in a DAG", () => {
    expect(findCycle(new Map())).toBeNull();
    expect(
      findCycle(
        new Map([
          [1, [2, 3]],
          [2, [3]],
          [3, []],
          [4, [1, 99]],
        ]),
      ),
    ).toBeNull();
  });

  it("finds a self-loop", () => {
    expect(
      findCycle(
        new Map([
          [1, [2]],
          [2, [2]],
        ]),
      ),
    ).toEqual([2, 2]);
  });

  it("finds a 3-cycle as a closed path", () => {
    expect(
      findCycle(
        new Map([
          [5, [1]],
          [1, [2]],
          [2, [3]],
          [3, [1]],
        ]),
      ),
    ).toEqual([1, 2, 3, 1]);
  });

  it("handles long chains without recursion", () => {
    const graph = new Map<number, number[]>();
    for (let id = 1; id < 100_000; id++) graph.set(id, [id + 1]);
    expect(findCycle(graph)).toBeNull();
    graph.set(100_000, [1]);
    expect(findCycle(graph)).toHaveLength(100_001);
  });
});

describe("property: the compiled tree agrees with a direct evaluation of the expression tree", () => {
  type Expr =
    | { kind: "num"; value: number }
    | { kind: "var"; name: string }
    | { kind: "neg"; arg: Expr; paren: boolean }
    | { kind: "bin"; op: "+" | "-" | "*" | "/"; left: Expr; right: Expr; paren: boolean };

  const VARIABLES = ["a", "b", "c"];

  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    // Weighted towards operators, so that most trees have several levels (about 11 nodes on average).
    expr: fc.oneof(
      { depthSize: "medium", maxDepth: 7, withCrossShrink: true },
      {
        weight: 1,
        arbitrary: fc
          .oneof(
            fc.integer({ min: 0, max: 1000 }),
            fc.double({ min: 0, max: 1e6, noNaN: true }),
            fc.constantFrom(0, 0.1, 1e-300, 1e300, 1e308),
          )
          .map((value): Expr => ({ kind: "num", value: Math.abs(value) })),
      },
      { weight: 1, arbitrary: fc.constantFrom(...VARIABLES).map((name): Expr => ({ kind: "var", name })) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("neg" as const), arg: tie("expr"), paren: fc.boolean() }) },
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("bin" as const),
          op: fc.constantFrom("+" as const, "-" as const, "*" as const, "/" as const),
          left: tie("expr"),
          right: tie("expr"),
          paren: fc.boolean(),
        }),
      },
    ),
  }));

  const PRECEDENCE = { "+": 1, "-": 1, "*": 2, "/": 2 } as const;

  /** Prints with the parentheses precedence needs, plus those the generator asked for. */
  function print(e: Expr): string {
    switch (e.kind) {
      case "num":
        return String(e.value);
      case "var":
        return e.name;
      case "neg": {
        const inner = e.arg.kind === "bin" && !e.arg.paren ? `(${print(e.arg)})` : print(e.arg);
        return e.paren ? `(-${inner})` : `-${inner}`;
      }
      case "bin": {
        const side = (child: Expr, needsParens: (p: number) => boolean) =>
          child.kind === "bin" && !child.paren && needsParens(PRECEDENCE[child.op]) ? `(${print(child)})` : print(child);
        const p = PRECEDENCE[e.op];
        // Same precedence on the right needs parentheses even for + and *: floating point is not associative.
        const text = `${side(e.left, (q) => q < p)} ${e.op} ${side(e.right, (q) => q <= p)}`;
        return e.paren ? `(${text})` : text;
      }
    }
  }

  /** The specification: every intermediate result must be finite, dividing by zero and null inputs are undefined. */
  function reference(e: Expr, values: Values): number | undefined {
    switch (e.kind) {
      case "num":
        return e.value;
      case "var":
        return values[e.name] ?? undefined;
      case "neg": {
        const v = reference(e.arg, values);
        return v === undefined ? undefined : -v;
      }
      case "bin": {
        const l = reference(e.left, values);
        const r = reference(e.right, values);
        if (l === undefined || r === undefined) return undefined;
        if (e.op === "/" && r === 0) return undefined;
        const v = e.op === "+" ? l + r : e.op === "-" ? l - r : e.op === "*" ? l * r : l / r;
        return Number.isFinite(v) ? v : undefined;
      }
    }
  }

  const input = fc.oneof(
    fc.constant(null),
    fc.constant(0),
    fc.integer({ min: -100, max: 100 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );

  it("for random formulas and inputs", () => {
    const outcomes = { value: 0, undefined: 0 };
    fc.assert(
      fc.property(expr, fc.record({ a: input, b: input, c: input }), (tree, values) => {
        const formula = print(tree);
        const result = compileFormula(formula, VARIABLES).evaluate(values);
        const expected = reference(tree, values);
        outcomes[result.kind]++;
        if (expected === undefined) {
          expect(result.kind, formula).toBe("undefined");
        } else {
          expect(result, formula).toEqual({ kind: "value", value: expected + 0 });
        }
      }),
      { numRuns: 500 },
    );
    // Guards the generator: both outcomes must be exercised, values most.
    expect(outcomes.value).toBeGreaterThan(150);
    expect(outcomes.undefined).toBeGreaterThan(25);
  });
});
