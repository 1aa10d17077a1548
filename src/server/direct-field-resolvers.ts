import { GraphQLScalarType, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { getMetadataStorage } from "type-graphql";

type Param = NonNullable<ReturnType<typeof getMetadataStorage>["fieldResolvers"][number]["params"]>[number];

type ResolverInstance = Record<string, (...args: unknown[]) => unknown>;

const PLAIN_SCALARS = new Set<unknown>([String, Number, Boolean]);

/** A scalar argument, which type-graphql would hand over unchanged (it validates objects only). */
const isScalarArg = (param: Param) =>
  param.kind === "arg" && (param.getType() instanceof GraphQLScalarType || PLAIN_SCALARS.has(param.getType()));

const isDirect = (param: Param) =>
  (param.kind === "root" && param.propertyName === undefined) ||
  (param.kind === "context" && param.propertyName === undefined) ||
  param.kind === "info" ||
  isScalarArg(param);

/**
 * Calls each @FieldResolver method straight from the field, for fields whose parameters are the
 * parent, the context, the info and scalar arguments. type-graphql's own call sorts the parameter
 * list, copies the parent into a new instance of its class, and validates every argument through an
 * async function, so a field with an argument also waits on a Promise.all: on every call, for every
 * row. A dashboard calls `trend` and `kpiDefinition` once per assignment (250 per team) and each
 * such call cost more than the data it returned. The resolvers receive what they declare, as plain
 * objects; a field with an input object, @Args or a custom parameter keeps type-graphql's call,
 * which validates the input. Permission middleware is applied afterwards, around these resolvers.
 */
export function callFieldResolversDirectly(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  const typeNames = new Map(storage.objectTypes.map((type) => [type.target, type.name]));
  const instances = new Map<unknown, ResolverInstance>();
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== "external") continue;
    const typeName = typeNames.get(resolver.getObjectType!() as (typeof storage.objectTypes)[number]["target"]);
    const type = typeName === undefined ? undefined : schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[resolver.schemaName] : undefined;
    const params = [...(resolver.params ?? [])].sort((a, b) => a.index - b.index);
    if (!field || !params.every(isDirect)) continue;

    let instance = instances.get(resolver.target);
    if (!instance) {
      instance = new (resolver.target as new () => ResolverInstance)();
      instances.set(resolver.target, instance);
    }
    const method = instance[resolver.methodName]!.bind(instance);
    const pick = params.map(
      (param): ((root: unknown, args: Record<string, unknown>, context: unknown, info: unknown) => unknown) => {
        if (param.kind === "root") return (root) => root;
        if (param.kind === "context") return (_root, _args, context) => context;
        if (param.kind === "info") return (_root, _args, _context, info) => info;
        const name = (param as { name: string }).name;
        return (_root, args) => args[name];
      },
    );
    const resolve: GraphQLFieldResolver<unknown, unknown> =
      pick.length === 2 && params[0]!.kind === "root" && params[1]!.kind === "context"
        ? (root, _args, context) => method(root, context)
        : (root, args, context, info) => method(...pick.map((get) => get(root, args, context, info)));
    field.resolve = resolve;
  }
  return schema;
}
