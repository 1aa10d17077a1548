import { middleware, type IMiddlewareGenerator, type IMiddlewareTypeMap } from "graphql-middleware";
import { allow, type IRules } from "graphql-shield";

type Rule = Exclude<IRules, Record<string, unknown>> | undefined;

const isRule = (value: unknown): boolean => typeof (value as { resolve?: unknown } | undefined)?.resolve === "function";

/** The rule graphql-shield applies to Type.field: the field's own entry, else the type's "*" (else the fallback). */
function ruleOf(tree: IRules, typeName: string, fieldName: string): Rule {
  const entry = (tree as Record<string, unknown>)[typeName];
  if (entry === undefined || isRule(entry)) return entry as Rule;
  const fields = entry as Record<string, Rule>;
  return fields[fieldName] ?? fields["*"];
}

/**
 * graphql-shield wraps every field in an async middleware, even a field whose rule is `allow`: a
 * team dashboard reads some 6,000 such fields (ids, names, values, dates), and each became a rule
 * evaluation, an await and a promise instead of a property read, which made the dashboard several
 * times slower (bench/read.ts). This drops the middleware of exactly those fields, so they keep their
 * plain resolvers; every other field, including those left to the deny fallback, stays checked.
 */
export function skipAllowedFields<S, C, A>(shielded: IMiddlewareGenerator<S, C, A>, tree: IRules): IMiddlewareGenerator<S, C, A> {
  return middleware<S, C, A>((schema) => {
    const generated = shielded.generate(schema) as IMiddlewareTypeMap<S, C, A>;
    return Object.fromEntries(
      Object.entries(generated).map(([typeName, fields]) => [
        typeName,
        Object.fromEntries(Object.entries(fields).filter(([fieldName]) => ruleOf(tree, typeName, fieldName) !== allow)),
      ]),
    );
  });
}
