import type { GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from "graphql";
import type { IMiddlewareFieldMap, IMiddlewareGenerator } from "graphql-middleware";

/** How graphql-shield's middleware of one field is called: the wrapped function first. */
type FieldCheck = (
  resolve: GraphQLFieldResolver<unknown, unknown>,
  ...call: [unknown, unknown, unknown, GraphQLResolveInfo]
) => unknown;

/**
 * graphql-middleware puts a field's rule around its `resolve` whenever it has one, and type-graphql
 * gives a Subscription field both a `resolve` (each event) and a `subscribe` (once): the rule ran for
 * each event only, so anyone could subscribe to anything and wait. This puts the same rule around
 * `subscribe` as well: a refused subscription fails at once with the error a query would get, and
 * every event is still checked (with the event's own context, so a lost membership shows).
 *
 * The schema's Subscription fields are changed in place: the schema is the one the caller just built.
 */
export function guardSubscriptions<S, C, A>(schema: GraphQLSchema, shielded: IMiddlewareGenerator<S, C, A>): GraphQLSchema {
  const subscriptionType = schema.getSubscriptionType();
  if (!subscriptionType) return schema;
  const rules = (shielded.generate(schema) as Record<string, IMiddlewareFieldMap<S, C, A>>)[subscriptionType.name] ?? {};
  for (const field of Object.values(subscriptionType.getFields())) {
    const rule = rules[field.name];
    const check = (typeof rule === "function" ? rule : rule?.resolve) as FieldCheck | undefined;
    const subscribe = field.subscribe;
    // Deny by default holds here too: a field the rules cannot guard is a bug, not an open door.
    if (!check || !subscribe) throw new Error(`Subscription.${field.name}: no rule or no subscribe function to guard`);
    field.subscribe = (source, args, context, info) => check(subscribe, source, args, context, info);
  }
  return schema;
}
