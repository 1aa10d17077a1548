import type jsep from "jsep";
import { FormulaError } from "./errors.js";
import { Formula } from "./evaluate.js";
import { FUNCTIONS } from "./functions.js";
import {
  BINARY_OPERATORS,
  COMPARISON_OPERATORS,
  REFUSED_OPERATOR_HINTS,
  UNARY_OPERATORS,
  binary,
  conditional,
  unary,
} from "./operators.js";
import { parseFormula, type Node, type ParsedFormula } from "./parse.js";
import { EvalState, constant, variable, type Evaluator } from "./runtime.js";
import type { CompiledFormula } from "./types.js";

/** Longer formulas are refused: nobody writes them by hand, and they bound parse time and depth. */
export const MAX_FORMULA_LENGTH = 10_000;
/** Bounds the recursion of the compiler and of the closure tree at evaluation. A sum of 200 terms is fine. */
export const MAX_FORMULA_DEPTH = 256;

interface Compiled {
  readonly fn: Evaluator;
  /** True when the node depends on no input, so that its parent may be folded into a constant. */
  readonly constant: boolean;
}

/**
 * Compiles a formula over the given input variables into a closure tree, or throws a FormulaError
 * with the position of the first problem (in source order). Parsing and checking happen once, at
 * save time; CompiledFormula.evaluate runs many times.
 */
export function compileFormula(formula: string, variables: readonly string[]): CompiledFormula {
  if (formula.length > MAX_FORMULA_LENGTH) {
    throw new FormulaError(`the formula is longer than ${MAX_FORMULA_LENGTH} characters`, MAX_FORMULA_LENGTH);
  }
  const parsed = parseFormula(formula);
  const declared = new Set(variables);
  const state = new EvalState(declared.size);
  const compiler = new Compiler(parsed, declared, state);
  const root = compiler.compile(parsed.root, 0);
  return new Formula(formula, compiler.variables, compiler.functions, root.fn, state);
}

class Compiler {
  /** The used variables by slot, and the used functions, both in order of first use. */
  readonly variables: string[] = [];
  readonly functions: string[] = [];
  private readonly slots = new Map<string, number>();

  constructor(
    private readonly parsed: ParsedFormula,
    private readonly declared: ReadonlySet<string>,
    private readonly state: EvalState,
  ) {}

  compile(node: Node, depth: number): Compiled {
    if (depth > MAX_FORMULA_DEPTH) throw this.error("the formula is nested too deeply", node);
    switch (node.type) {
      case "Literal":
        return this.literal(node as jsep.Literal);
      case "Identifier":
        return this.identifier(node as jsep.Identifier);
      case "UnaryExpression":
        return this.unary(node as jsep.UnaryExpression, depth);
      case "BinaryExpression":
        return this.binary(node as jsep.BinaryExpression, depth);
      case "ConditionalExpression":
        return this.conditional(node as jsep.ConditionalExpression, depth);
      case "CallExpression":
        return this.call(node as jsep.CallExpression, depth);
      case "MemberExpression":
        throw this.error("member access (a.b or a[i]) is not allowed", node);
      case "ArrayExpression":
        throw this.error("array literals are not allowed", node);
      case "ThisExpression":
        throw this.error('"this" is not allowed', node);
      default:
        // Compound and sequence expressions cannot come out of our parser; plugins' nodes might.
        throw this.error(`${node.type} is not allowed`, node);
    }
  }

  private literal(node: jsep.Literal): Compiled {
    const { value } = node;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw this.error(`the number ${node.raw} is too large`, node);
      return { fn: constant(value), constant: true };
    }
    if (typeof value === "string") throw this.error("text is not allowed, only numbers", node);
    if (typeof value === "boolean") throw this.error(`"${node.raw}" is not allowed, write ${value ? 1 : 0}`, node);
    if (value === null) throw this.error('"null" is not allowed, use coalesce() for missing values', node);
    throw this.error(`"${node.raw}" is not allowed`, node);
  }

  private identifier(node: jsep.Identifier): Compiled {
    const { name } = node;
    if (!this.declared.has(name)) {
      if (FUNCTIONS.has(name)) throw this.error(`function "${name}" must be called, e.g. ${name}(x)`, node);
      throw this.error(`unknown variable "${name}"`, node);
    }
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.variables.push(name) - 1;
      this.slots.set(name, slot);
    }
    return { fn: variable(this.state, slot, name, this.parsed.start(node)), constant: false };
  }

  private unary(node: jsep.UnaryExpression, depth: number): Compiled {
    if (!UNARY_OPERATORS.has(node.operator)) throw this.error(`operator "${node.operator}" is not supported`, node);
    const argument = this.compile(node.argument, depth + 1);
    return this.fold(unary(node.operator, argument.fn), [argument]);
  }

  private binary(node: jsep.BinaryExpression, depth: number): Compiled {
    const { operator } = node;
    const at = this.parsed.operatorIndex(node);
    const left = this.compile(node.left, depth + 1);
    if (!BINARY_OPERATORS.has(operator)) {
      const hint = REFUSED_OPERATOR_HINTS[operator];
      throw new FormulaError(`operator "${operator}" is not supported${hint ? `, ${hint}` : ""}`, at);
    }
    // jsep binds a unary operator tighter than **, so `-2 ** 2` would be (-2) ** 2 = 4, where
    // mathematics says -(2 ** 2) = -4. JavaScript refuses the ambiguity, and so do we.
    if (operator === "**" && node.left.type === "UnaryExpression" && !this.parsed.isParenthesized(node.left)) {
      const sign = (node.left as jsep.UnaryExpression).operator;
      throw this.error(`"${sign}" before "**" is ambiguous, write (${sign}a) ** b or ${sign}(a ** b)`, node.left);
    }
    // `0 < x < 10` would compare 0 or 1 with 10: almost surely not what was meant.
    if (COMPARISON_OPERATORS.has(operator) && this.isBareComparison(node.left)) {
      throw new FormulaError(`chained comparison, write (a < b) && (b < c)`, at);
    }
    const right = this.compile(node.right, depth + 1);
    if (COMPARISON_OPERATORS.has(operator) && this.isBareComparison(node.right)) {
      throw new FormulaError(
        `chained comparison, write (a < b) && (b < c)`,
        this.parsed.operatorIndex(node.right as jsep.BinaryExpression),
      );
    }
    return this.fold(binary(operator, left.fn, right.fn, this.state, at), [left, right]);
  }

  private conditional(node: jsep.ConditionalExpression, depth: number): Compiled {
    const test = this.compile(node.test, depth + 1);
    const consequent = this.compile(node.consequent, depth + 1);
    const alternate = this.compile(node.alternate, depth + 1);
    return this.fold(conditional(test.fn, consequent.fn, alternate.fn), [test, consequent, alternate]);
  }

  private call(node: jsep.CallExpression, depth: number): Compiled {
    const { callee } = node;
    if (callee.type === "MemberExpression") throw this.error("member access (a.b or a[i]) is not allowed", callee);
    // `(max)(a, b)` is refused too: the callee must be written as a plain name.
    if (callee.type !== "Identifier" || this.parsed.isParenthesized(callee)) {
      throw this.error("only functions can be called, e.g. max(a, b)", callee);
    }
    const { name } = callee as jsep.Identifier;
    const at = this.parsed.start(callee);
    const fn = FUNCTIONS.get(name);
    if (!fn) {
      const what = this.declared.has(name) ? `"${name}" is a variable, not a function` : `unknown function "${name}"`;
      throw new FormulaError(what, at);
    }
    const count = node.arguments.length;
    if (count < fn.minArgs || count > fn.maxArgs) {
      throw new FormulaError(`${name}() takes ${arity(fn.minArgs, fn.maxArgs)}, got ${count}`, at);
    }
    if (!this.functions.includes(name)) this.functions.push(name);
    const args = node.arguments.map((argument) => this.compile(argument, depth + 1));
    const closures = args.map((arg) => arg.fn);
    return this.fold(fn.build(closures, { state: this.state, at }), args);
  }

  /**
   * A node whose operands are all constant is computed once, here. Only when that succeeds: a
   * constant `1 / 0` stays a closure, so that its reason is reported when (if ever) it is evaluated.
   */
  private fold(fn: Evaluator, operands: readonly Compiled[]): Compiled {
    if (!operands.every((operand) => operand.constant)) return { fn, constant: false };
    this.state.reason = null;
    const value = fn();
    if (!Number.isFinite(value) || this.state.reason !== null) return { fn, constant: false };
    return { fn: constant(value), constant: true };
  }

  private isBareComparison(node: Node): boolean {
    return (
      node.type === "BinaryExpression" &&
      COMPARISON_OPERATORS.has((node as jsep.BinaryExpression).operator) &&
      !this.parsed.isParenthesized(node)
    );
  }

  private error(description: string, node: Node): FormulaError {
    return new FormulaError(description, this.parsed.start(node));
  }
}

function arity(min: number, max: number): string {
  const plural = (n: number) => (n === 1 ? "argument" : "arguments");
  if (min === max) return `${min} ${plural(min)}`;
  if (max === Infinity) return `at least ${min} ${plural(min)}`;
  return `${min} to ${max} arguments`;
}
