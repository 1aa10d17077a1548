import jsep from "jsep";
import { FormulaError } from "./errors.js";

export type Node = jsep.Expression;

/**
 * The members of jsep's parser class we build on. They are the ones jsep documents for plugins
 * (jsep.HookScope), so they are part of its public surface, but the class itself is only exported
 * untyped (`jsep.Jsep`), hence this declaration.
 */
interface JsepParser {
  index: number;
  readonly expr: string;
  readonly code: number;
  readonly char: string;
  gobbleSpaces(): void;
  gobbleExpression(): Node | false | undefined;
  gobbleToken(): Node | false | undefined;
  gobbleIdentifier(): jsep.Identifier;
  gobbleGroup(): Node | false | undefined;
  gobbleArguments(termination: number): (Node | null)[];
  throwError(message: string): never;
}

const JsepBase = (jsep as unknown as { Jsep: new (expr: string) => JsepParser }).Jsep;

const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const COMMA = 44;

interface Span {
  start: number;
  end: number;
}

/**
 * jsep nodes carry no positions, and jsep's global hooks would leak into every other user of the
 * (process-wide) jsep configuration. A subclass instead: one instance per parse, recording where the
 * tokens it gobbles start and end. It also tightens three lenient spots of jsep's grammar that a
 * formula must not have: juxtaposed or `;`/`,`-separated expressions at the top level ("a b" is a
 * Compound in jsep), the same inside parentheses ("(a, b)"), and call arguments without commas
 * ("max(a b)").
 */
class FormulaParser extends JsepBase {
  /** Where each node's own text starts: the innermost token that produced it. */
  readonly starts = new Map<Node, number>();
  /** The outermost token that produced each node, its parentheses included. */
  readonly spans = new Map<Node, Span>();

  parseFormula(): Node {
    this.gobbleSpaces();
    if (this.index >= this.expr.length) throw new FormulaError("the formula is empty", 0);
    const node = this.gobbleExpression();
    if (!node) this.throwError(`unexpected "${this.char}"`);
    if (this.index < this.expr.length) this.throwError(`expected an operator or the end of the formula, found "${this.char}"`);
    return node;
  }

  override gobbleToken() {
    this.gobbleSpaces();
    const start = this.index;
    const node = super.gobbleToken();
    if (node) {
      // Nested calls return inner tokens first, so the first record is the innermost one.
      if (!this.starts.has(node)) this.starts.set(node, start);
      this.spans.set(node, { start, end: this.index });
    }
    return node;
  }

  // Callee names and member properties are gobbled as identifiers without a token of their own.
  override gobbleIdentifier() {
    const start = this.index;
    const node = super.gobbleIdentifier();
    this.starts.set(node, start);
    return node;
  }

  override gobbleGroup() {
    const open = this.index;
    this.index++; // "("
    const node = this.gobbleExpression();
    if (!node) {
      if (this.index >= this.expr.length) throw new FormulaError('unclosed "("', open);
      this.throwError(this.code === CLOSE_PAREN ? "empty parentheses" : `unexpected "${this.char}"`);
    }
    if (this.code !== CLOSE_PAREN) {
      if (this.index >= this.expr.length) throw new FormulaError('unclosed "("', open);
      this.throwError(`expected ")", found "${this.char}"`);
    }
    this.index++;
    // Also recorded here, not only by gobbleToken: in `(a)(1)` the token is the call, not `a`.
    this.spans.set(node, { start: open, end: this.index });
    return node;
  }

  override gobbleArguments(termination: number) {
    // Array literals keep jsep's parsing; the compiler refuses them with their position.
    if (termination !== CLOSE_PAREN) return super.gobbleArguments(termination);
    const open = this.index - 1; // the caller has consumed the "("
    const args: Node[] = [];
    this.gobbleSpaces();
    if (this.code === CLOSE_PAREN) {
      this.index++;
      return args;
    }
    for (;;) {
      const arg = this.gobbleExpression();
      if (!arg) {
        if (this.index >= this.expr.length) throw new FormulaError('unclosed "("', open);
        this.throwError(`unexpected "${this.char}"`);
      }
      args.push(arg);
      if (this.code === COMMA) {
        this.index++;
        continue;
      }
      if (this.code === CLOSE_PAREN) {
        this.index++;
        return args;
      }
      if (this.index >= this.expr.length) throw new FormulaError('unclosed "("', open);
      this.throwError(`expected "," or ")", found "${this.char}"`);
    }
  }
}

const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/** A parsed formula and the positions of its nodes in the source text. */
export class ParsedFormula {
  constructor(
    readonly source: string,
    readonly root: Node,
    private readonly starts: ReadonlyMap<Node, number>,
    private readonly spans: ReadonlyMap<Node, Span>,
  ) {}

  /** Where the node's own text starts: a variable's first letter, a function's name, a unary operator. */
  start(node: Node): number {
    const own = this.starts.get(node);
    if (own !== undefined) return own;
    // Nodes built from several tokens start where their leftmost part starts.
    switch (node.type) {
      case "BinaryExpression":
        return this.start((node as jsep.BinaryExpression).left);
      case "ConditionalExpression":
        return this.start((node as jsep.ConditionalExpression).test);
      case "MemberExpression":
        return this.start((node as jsep.MemberExpression).object);
      case "CallExpression":
        return this.start((node as jsep.CallExpression).callee);
      default:
        return 0;
    }
  }

  /**
   * Where a binary node's operator is. Between the end of the left operand's outermost token (its
   * closing parentheses included) and the operator there is only white space: a parenthesis closing
   * there would have ended a group holding the left operand but not the operator, and then the left
   * operand would be that group.
   */
  operatorIndex(node: jsep.BinaryExpression): number {
    let index = this.end(node.left);
    while (index < this.source.length && isSpace(this.source.charCodeAt(index))) index++;
    if (this.source.startsWith(node.operator, index)) return index;
    const found = this.source.indexOf(node.operator, index); // defensive: never report a wrong position silently
    return found >= 0 ? found : index;
  }

  /** Whether the node is written inside its own parentheses, e.g. the `(-2)` of `(-2) ** 2`. */
  isParenthesized(node: Node): boolean {
    // Only groups start with "(", except calls and member accesses on a group, e.g. `(a)(1)`.
    if (node.type === "CallExpression" || node.type === "MemberExpression") return false;
    const span = this.spans.get(node);
    return span !== undefined && this.source.charCodeAt(span.start) === OPEN_PAREN;
  }

  private end(node: Node): number {
    const span = this.spans.get(node);
    if (span) return span.end;
    // Only operator nodes lack a token of their own; they end where their last operand ends.
    if (node.type === "BinaryExpression") return this.end((node as jsep.BinaryExpression).right);
    if (node.type === "ConditionalExpression") return this.end((node as jsep.ConditionalExpression).alternate);
    return this.source.length;
  }
}

/** Parses a formula with jsep, turning jsep's syntax errors into FormulaErrors with their position. */
export function parseFormula(source: string): ParsedFormula {
  const parser = new FormulaParser(source);
  let root: Node;
  try {
    root = parser.parseFormula();
  } catch (error) {
    if (error instanceof FormulaError) throw error;
    const { index, description } = error as { index?: unknown; description?: unknown };
    if (typeof index === "number" && typeof description === "string") {
      throw new FormulaError(description.charAt(0).toLowerCase() + description.slice(1), index);
    }
    // jsep parses recursively; absurd nesting exhausts the stack before any of our checks run.
    if (error instanceof RangeError) throw new FormulaError("the formula is nested too deeply", 0);
    throw error;
  }
  return new ParsedFormula(source, root, parser.starts, parser.spans);
}
