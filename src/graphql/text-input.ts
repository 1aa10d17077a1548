import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, Kind, visit, type DocumentNode } from "graphql";

/**
 * Text PostgreSQL cannot store is refused before any resolver runs: a NUL character (\u0000), or
 * malformed UTF-16 (a lone surrogate), in a variable or a string literal of the document. Either
 * would otherwise fail deep in a statement as an internal error.
 */
export const textInputPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        const path = malformedVariable(request.variables ?? {}, "$") ?? malformedLiteral(document);
        if (path === undefined) return;
        throw new GraphQLError(`${path}: text may not contain NUL characters (\\u0000) or malformed Unicode`, {
          extensions: { code: "BAD_USER_INPUT", field: path, http: { status: 400 } },
        });
      },
    };
  },
};

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isMalformed = (text: string) => text.includes("\u0000") || LONE_SURROGATE.test(text);

/** Where in the variables a malformed string is ("$input.name"), if anywhere. */
function malformedVariable(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return isMalformed(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = malformedVariable(item, `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const found = malformedVariable(item, path === "$" ? `$${key}` : `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

function malformedLiteral(document: DocumentNode): string | undefined {
  let found: string | undefined;
  visit(document, {
    [Kind.STRING](node) {
      if (found === undefined && isMalformed(node.value)) found = `a string at line ${node.loc?.startToken.line ?? "?"}`;
    },
  });
  return found;
}
