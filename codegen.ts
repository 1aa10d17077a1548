import type { CodegenConfig } from "@graphql-codegen/cli";

const scalars = { Date: "string", DateTime: "string", JSON: "unknown" };

/**
 * Typed operations, checked against schema.graphql (`npm run codegen`; `npm install` runs it):
 * - the example operations for scripts and dashboards (examples/operations), as typed document nodes;
 * - the web dashboard's operations and fragments (web/src), with the client preset and fragment
 *   masking, so a component can read only the fields its own fragment asks for.
 */
const config: CodegenConfig = {
  schema: "schema.graphql",
  generates: {
    "examples/generated/graphql.ts": {
      documents: ["examples/operations/**/*.graphql"],
      plugins: ["typescript", "typescript-operations", "typed-document-node"],
      config: { scalars, enumsAsTypes: true, useTypeImports: true },
    },
    "web/src/gql/": {
      documents: ["web/src/**/*.{ts,tsx}", "!web/src/gql/**"],
      preset: "client",
      presetConfig: { fragmentMasking: { unmaskFunctionName: "getFragmentData" } },
      config: { scalars, enumsAsTypes: true, useTypeImports: true },
    },
  },
};

export default config;
