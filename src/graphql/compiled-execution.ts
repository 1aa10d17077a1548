import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import { execute, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { LRUCache } from "lru-cache";

/** Distinct operations kept compiled; a dashboard client sends a few dozen. */
const COMPILED_OPERATIONS = 500;

type Gateway = ApolloServerOptionsWithGateway<object>["gateway"];
type GatewayExecutor = NonNullable<Awaited<ReturnType<Gateway["load"]>>["executor"]>;

type Compiled = CompiledQuery | { failed: true };

/**
 * Executes each operation with graphql-jit: compiled once into a function that builds the response
 * with object literals and plain property reads, where graphql-js allocates an argument map, a
 * resolve-info object and a null-prototype result map for every field of every row. A team
 * dashboard resolves some 6,000 fields, and that garbage was a third of its CPU (bench/peer.ts).
 *
 * Resolvers, permission middleware, scalars and errors are the schema's own, as with graphql-js;
 * an operation graphql-jit cannot compile runs on graphql-js, so nothing valid is refused.
 *
 * Apollo Server 5 takes a custom executor only through its gateway interface (its migration guide
 * says so); this is that interface around one fixed schema.
 */
export function compiledExecution(schema: GraphQLSchema): Gateway {
  const compiled = new LRUCache<string, Compiled>({ max: COMPILED_OPERATIONS });

  const compile = (document: DocumentNode, operationName: string | undefined, key: string): Compiled => {
    let entry = compiled.get(key);
    if (!entry) {
      const result = compileQuery(schema, document, operationName, { disablingCapturingStackErrors: true });
      entry = isCompiledQuery(result) ? result : { failed: true };
      compiled.set(key, entry);
    }
    return entry;
  };

  const executor: GatewayExecutor = async ({ document, operation, queryHash, request, context }) => {
    const operationName = request.operationName;
    const onGraphqlJs = () =>
      execute({
        schema,
        document,
        operationName,
        variableValues: request.variables,
        contextValue: context,
      }) as Promise<ExecutionResult>;
    // Apollo found no operation of that name (or several without one): graphql-js words the error.
    // graphql-jit would run the document's only operation whatever name was asked for.
    if (!operation) return onGraphqlJs();
    const entry = compile(document, operationName, `${queryHash}:${operationName ?? ""}`);
    if ("failed" in entry) return onGraphqlJs();
    const result = await entry.query(undefined, context, request.variables);
    // No data at all: the variables were refused before anything ran. graphql-js words these errors
    // with the variable's node, from which Apollo answers BAD_USER_INPUT and HTTP 400.
    if (result.data === undefined) return onGraphqlJs();
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };

  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => {};
    },
    async stop() {},
  };
}

/**
 * graphql-jit's errors are its own objects: no `extensions` unless the thrown error had some, which
 * Apollo's error formatting reads, and so every domain error became INTERNAL_SERVER_ERROR. As
 * graphql-js errors they carry the thrown error, its path and locations as graphql-js would.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
  return Object.assign(converted, { locations: error.locations });
}
