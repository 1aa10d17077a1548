import type { ApolloServerPlugin } from "@apollo/server";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import type { NextFunction, Request, Response } from "express";
import {
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isLeafType,
  isListType,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { getComplexity, type ComplexityEstimator } from "graphql-query-complexity";
import type { Config } from "../config/config.js";
import { httpStatus, HttpError, sendError } from "../lib/http-error.js";

type Limits = Config["graphql"];

/**
 * graphql-armor throws its error out of the validation rule by default; graphql-js's validate() does
 * not catch it, so Apollo answered 500. Reporting it to the validation context instead makes it an
 * ordinary validation error (400, BAD_USER_INPUT) that names the variable to raise.
 */
function reportLimit(variable: string) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const message = error.message.replace(/^Syntax Error: /, "").replace(/\.$/, "");
    const limitError = new GraphQLError(`${message} (${variable}).`, { extensions: { limit: variable } });
    // The rules always run with a context; should one ever lack it, fail closed rather than accept.
    if (!context) throw limitError;
    context.reportError(limitError);
  };
}

/** Depth and alias caps, checked while the query is validated, before any resolver runs. */
export function limitValidationRules(limits: Limits): ValidationRule[] {
  return [
    maxDepthRule({
      n: limits.maxDepth,
      exposeLimits: true,
      ignoreIntrospection: true,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reportLimit("MAX_QUERY_DEPTH")],
    }) as unknown as ValidationRule,
    maxAliasesRule({
      n: limits.maxAliases,
      // graphql-armor exempts aliases of __typename by default: thousands of them cost nothing to
      // write and a great deal to validate, count and answer.
      allowList: [],
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [reportLimit("MAX_ALIASES")],
    }) as unknown as ValidationRule,
  ];
}

const DEFAULT_LIST_SIZE = 20;
/** Fields (with fragments spread) the cost count reads before it refuses a query as too large. */
const MAX_QUERY_NODES = 10_000;
const LIST_SIZE_ARGUMENTS = ["limit", "periods", "first"];

/**
 * Cost counts objects, not scalars: each object costs 1 plus its selection, and a list multiplies
 * that by its expected length: its limit-like argument, else the `listSize` extension a field
 * declares (e.g. members of a team), else 20. A team dashboard of 50 members × 20 KPIs × 6 trend
 * points costs about 9,200; abusive nesting costs millions.
 */
export const objectCountEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (isLeafType(getNamedType(field.type))) return 0;
  if (!isListType(getNullableType(field.type))) return 1 + childComplexity;
  const fromArgs = LIST_SIZE_ARGUMENTS.map((name) => args[name]).find((value) => typeof value === "number");
  const declared = (field.extensions as { listSize?: number } | undefined)?.listSize;
  const size = Math.max(1, Number(fromArgs ?? declared ?? DEFAULT_LIST_SIZE));
  return size * (1 + childComplexity);
};

/**
 * The MAX_QUERY_COST error of an operation that costs too much; null within the limit, and for
 * variables that do not coerce: execution refuses those (BAD_USER_INPUT) before any resolver runs,
 * and getComplexity would throw on them instead.
 */
export function costLimitError(
  schema: GraphQLSchema,
  maxCost: number,
  request: { document: DocumentNode; operationName?: string | null; variables?: Record<string, unknown> | null },
): GraphQLError | null {
  const operation = getOperationAST(request.document, request.operationName);
  if (getVariableValues(schema, operation?.variableDefinitions ?? [], request.variables ?? {}).errors) return null;
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: request.document,
      operationName: request.operationName ?? undefined,
      variables: request.variables ?? undefined,
      estimators: [objectCountEstimator],
      maxQueryNodes: MAX_QUERY_NODES,
    });
  } catch (error) {
    // graphql-query-complexity stops counting past maxQueryNodes with an error of its own, without a
    // code: that is the client's too-large query, not an internal error to log with a stack.
    if (!(error instanceof GraphQLError)) throw error;
    return new GraphQLError(`Query has more than ${MAX_QUERY_NODES} fields (MAX_QUERY_COST); ask for fewer`, {
      extensions: {
        code: "BAD_USER_INPUT",
        limit: "MAX_QUERY_COST",
        maxQueryNodes: MAX_QUERY_NODES,
        http: { status: httpStatus("BAD_USER_INPUT") },
      },
    });
  }
  if (cost <= maxCost) return null;
  return new GraphQLError(`Query cost ${cost} exceeds the limit of ${maxCost} (MAX_QUERY_COST); ask for fewer or smaller lists`, {
    extensions: {
      code: "BAD_USER_INPUT",
      limit: "MAX_QUERY_COST",
      cost,
      maxCost,
      http: { status: httpStatus("BAD_USER_INPUT") },
    },
  });
}

export function costLimitPlugin(schema: GraphQLSchema, maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const error = costLimitError(schema, maxCost, {
            document,
            operationName: request.operationName,
            variables: request.variables,
          });
          if (error) throw error;
        },
      };
    },
  };
}

/** Batched requests (a JSON array of operations) are capped before Apollo sees them. */
export function batchLimit(maxOperations: number) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (Array.isArray(req.body) && req.body.length > maxOperations) {
      const message = `A batch may hold at most ${maxOperations} operations (MAX_BATCH_OPERATIONS); this one has ${req.body.length}`;
      return sendError(res, new HttpError("BAD_USER_INPUT", message, { limit: "MAX_BATCH_OPERATIONS" }));
    }
    next();
  };
}
